// Command pkgbuild builds the .deb and .rpm packages of every wodlekit vendor
// from one template (packaging/) fed by each vendor's own metadata, with nfpm
// as a library. It lives in its own module so that nfpm's dependencies never
// enter the wodle binaries' build graph.
//
// Subcommands:
//
//	pkgbuild packages  build every vendor x format x arch into -out
//	pkgbuild render    write one vendor's generated files (run.sh, scripts, settings, snippet)
//	pkgbuild vendors   list the vendors found under cmd/ and their package names
//	pkgbuild standin   build a stand-in wazuh-manager package for install tests
//	pkgbuild changelog print the package changelog of one vendor's version
package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const usage = `usage: pkgbuild <packages|render|vendors|standin|changelog> [flags]; pkgbuild <command> -h for flags`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "packages":
		err = cmdPackages(args)
	case "render":
		err = cmdRender(args)
	case "vendors":
		err = cmdVendors(args)
	case "standin":
		err = cmdStandin(args)
	case "changelog":
		err = cmdChangelog(args)
	default:
		err = fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pkgbuild:", err)
		os.Exit(1)
	}
}

// commonFlags are the flags every vendor-level command shares.
type commonFlags struct {
	repo, packaging, metaBin, metaDir, version, release string
	maintainer, homepage, license                       string
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.repo, "repo", ".", "repository root (cmd/, rules/, vendors/)")
	fs.StringVar(&c.packaging, "packaging", "", "template directory (default <repo>/packaging)")
	fs.StringVar(&c.metaBin, "metadata-bin", "bin/{vendor}-wodle", "host binary that prints the vendor's metadata, relative to -repo")
	fs.StringVar(&c.metaDir, "metadata-dir", "", "read <dir>/<vendor>.json instead of running the binary")
	fs.StringVar(&c.version, "version", "0.0.0-dev", "version (x.y.z[-pre] or git describe output)")
	fs.StringVar(&c.release, "release", "1", "package revision")
	fs.StringVar(&c.maintainer, "maintainer", "wodlekit maintainers <wodlekit@users.noreply.github.com>", "package maintainer")
	fs.StringVar(&c.homepage, "homepage", "https://github.com/wodlekit/wodlekit", "project homepage")
	fs.StringVar(&c.license, "license", "", "SPDX license identifier (default: from -license-id-file or NOASSERTION)")
}

func (c *commonFlags) packagingDir() string {
	if c.packaging != "" {
		return c.packaging
	}
	return filepath.Join(c.repo, "packaging")
}

func (c *commonFlags) resolve(path, vendor string) string {
	p := strings.ReplaceAll(path, "{vendor}", vendor)
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.repo, p)
}

// loadVendor gathers a vendor's metadata and source files.
func (c *commonFlags) loadVendor(name string) (*Vendor, error) {
	v, err := LocateSources(c.repo, name)
	if err != nil {
		return nil, err
	}
	if c.metaDir != "" {
		v.Meta, err = LoadMetadataFile(filepath.Join(c.metaDir, name+".json"), name)
	} else {
		v.Meta, err = LoadMetadataFromBinary(c.resolve(c.metaBin, name), name)
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// buildConfig reads the shared settings, SOURCE_DATE_EPOCH included.
func (c *commonFlags) buildConfig(out string) (*BuildConfig, error) {
	version, err := NormalizeVersion(c.version)
	if err != nil {
		return nil, err
	}
	mtime, err := sourceDateEpoch()
	if err != nil {
		return nil, err
	}
	license, text := c.license, "No LICENSE file was present in the repository when this package was built."
	if b, err := os.ReadFile(filepath.Join(c.repo, "LICENSE")); err == nil {
		text = string(b)
		if license == "" {
			license = spdxOf(text)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read LICENSE: %w", err)
	}
	if license == "" {
		license = "NOASSERTION"
	}
	// The copyright file indents continuation lines (Debian's format).
	text = " " + strings.ReplaceAll(strings.TrimRight(text, "\n"), "\n", "\n ")
	return &BuildConfig{
		Repo: c.repo, PackagingDir: c.packagingDir(), OutDir: out,
		Version: version, Release: c.release,
		Maintainer: c.maintainer, Homepage: c.homepage, License: license, LicenseTxt: text,
		MTime: mtime,
	}, nil
}

// sourceDateEpoch is the build's timestamp: SOURCE_DATE_EPOCH (the commit time,
// set by mk/packaging.mk) so that rebuilds are byte-identical, else now.
func sourceDateEpoch() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Now().UTC().Truncate(time.Second), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a Unix time", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func cmdPackages(args []string) error {
	fset := flag.NewFlagSet("packages", flag.ContinueOnError)
	var c commonFlags
	c.register(fset)
	out := fset.String("out", "dist", "output directory")
	binPattern := fset.String("bin", "bin/linux_{arch}/{vendor}-wodle", "cross-built binary per vendor and GOARCH, relative to -repo")
	vendorList := fset.String("vendors", "", "comma-separated vendors (default: every cmd/<vendor>)")
	formats := fset.String("formats", "deb,rpm", "package formats")
	arches := fset.String("arches", "amd64,arm64", "GOARCH values")
	requireChangelog := fset.Bool("require-changelog", false, "fail unless vendors/<vendor>/CHANGELOG.md has a section for -version (releases)")
	signKey := fset.String("sign-key", "", "armored OpenPGP private key file to sign the .rpm files with (passphrase: $SIGNING_KEY_PASSPHRASE)")
	if err := fset.Parse(args); err != nil {
		return err
	}
	vendors := splitList(*vendorList)
	if len(vendors) == 0 {
		var err error
		if vendors, err = DiscoverVendors(c.repo); err != nil {
			return err
		}
	}
	cfg, err := c.buildConfig(*out)
	if err != nil {
		return err
	}
	cfg.RequireChangelog = *requireChangelog
	if *signKey != "" {
		if cfg.Signer, err = LoadSigningKey(*signKey, os.Getenv("SIGNING_KEY_PASSPHRASE"), cfg.MTime); err != nil {
			return err
		}
	}
	cfg.BinaryFor = func(vendor, arch string) string {
		return c.resolve(strings.ReplaceAll(*binPattern, "{arch}", arch), vendor)
	}
	// Check every vendor before building any, so one run reports all problems.
	var loaded []*Vendor
	var errs []error
	for _, name := range vendors {
		v, err := c.loadVendor(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		loaded = append(loaded, v)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for _, v := range loaded {
		paths, err := BuildVendor(cfg, v, splitList(*formats), splitList(*arches))
		if err != nil {
			return err
		}
		for _, p := range paths {
			fmt.Println(p)
		}
	}
	return nil
}

func cmdRender(args []string) error {
	fset := flag.NewFlagSet("render", flag.ContinueOnError)
	var c commonFlags
	c.register(fset)
	vendor := fset.String("vendor", "", "vendor to render (required)")
	format := fset.String("format", "deb", "package format whose scripts to render (deb or rpm)")
	out := fset.String("out", "", "output directory (required)")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if *vendor == "" || *out == "" {
		return errors.New("render: -vendor and -out are required")
	}
	v, err := c.loadVendor(*vendor)
	if err != nil {
		return err
	}
	cfg, err := c.buildConfig(*out)
	if err != nil {
		return err
	}
	rendered, err := Render(cfg.PackagingDir, NewTemplateData(v, *format, cfg.Version.String(), cfg.Homepage, cfg.LicenseTxt, cfg.MTime.Year()))
	if err != nil {
		return err
	}
	return WriteRendered(*out, rendered)
}

func cmdChangelog(args []string) error {
	fset := flag.NewFlagSet("changelog", flag.ContinueOnError)
	repo := fset.String("repo", ".", "repository root")
	vendor := fset.String("vendor", "", "vendor (required)")
	version := fset.String("version", "", "version (required)")
	require := fset.Bool("require", false, "fail unless the vendor's CHANGELOG.md has a section for -version")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if *vendor == "" || *version == "" {
		return errors.New("changelog: -vendor and -version are required")
	}
	v, err := NormalizeVersion(*version)
	if err != nil {
		return err
	}
	at, err := sourceDateEpoch()
	if err != nil {
		return err
	}
	history, err := LoadHistory(*repo, *vendor, v, at, *require)
	if err != nil {
		return err
	}
	for _, h := range history {
		fmt.Printf("%s (%s)\n", h.Version, h.Date.Format(time.DateOnly))
		for _, n := range h.Notes {
			fmt.Printf("  * %s\n", n)
		}
	}
	return nil
}

func cmdVendors(args []string) error {
	fset := flag.NewFlagSet("vendors", flag.ContinueOnError)
	repo := fset.String("repo", ".", "repository root")
	if err := fset.Parse(args); err != nil {
		return err
	}
	vendors, err := DiscoverVendors(*repo)
	if err != nil {
		return err
	}
	for _, v := range vendors {
		fmt.Println(v, PackageName(v))
	}
	return nil
}

// spdxOf names the licence of a LICENSE file by its first line, for the
// licences this project could carry; "" when unknown.
func spdxOf(text string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	switch strings.TrimSpace(first) {
	case "MIT License":
		return "MIT"
	case "Apache License":
		return "Apache-2.0"
	}
	return ""
}
