package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	"github.com/goreleaser/nfpm/v2/files"
	_ "github.com/goreleaser/nfpm/v2/rpm" // registers the rpm packager
)

// BuildConfig is what every package of one build shares.
type BuildConfig struct {
	Repo         string // repository root (cmd/, rules/, vendors/)
	PackagingDir string // templates: run.sh, scripts/, templates/
	OutDir       string
	// BinaryFor returns the path of the cross-built binary of a vendor for a GOARCH.
	BinaryFor  func(vendor, arch string) string
	Version    PackageVersion
	Release    string
	Maintainer string
	Homepage   string
	License    string // SPDX identifier for rpm's License tag
	LicenseTxt string // text for /usr/share/doc/<pkg>/copyright
	// MTime stamps every file and the package headers; from SOURCE_DATE_EPOCH
	// so that two builds of one commit are byte-identical.
	MTime time.Time
	// RequireChangelog makes a version without a section in the vendor's
	// CHANGELOG.md an error (releases); otherwise it is a development build.
	RequireChangelog bool
	// Signer, when set, signs every .rpm.
	Signer *RPMSigner
}

// rpmBuildHost replaces the machine's hostname in the RPM header (reproducibility).
const rpmBuildHost = "wodlekit.build"

// BuildVendor builds one package per format and architecture for a vendor and
// returns the paths written.
func BuildVendor(cfg *BuildConfig, v *Vendor, formats, arches []string) ([]string, error) {
	stage, err := os.MkdirTemp("", "pkgbuild-"+v.Name+"-")
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", v.Name, err)
	}
	defer os.RemoveAll(stage)
	history, err := LoadHistory(cfg.Repo, v.Name, cfg.Version, cfg.MTime, cfg.RequireChangelog)
	if err != nil {
		return nil, fmt.Errorf("vendor %s: %w", v.Name, err)
	}
	data := map[string]*TemplateData{}
	for _, format := range formats {
		d := NewTemplateData(v, format, cfg.Version.String(), cfg.Homepage, cfg.LicenseTxt, cfg.MTime.Year())
		rendered, err := Render(cfg.PackagingDir, d)
		if err != nil {
			return nil, err
		}
		if err := WriteRendered(filepath.Join(stage, format), rendered); err != nil {
			return nil, err
		}
		data[format] = d
	}
	changelog := filepath.Join(stage, "changelog.yml")
	if err := os.WriteFile(changelog, changelogYAML(cfg, history), 0o644); err != nil {
		return nil, fmt.Errorf("stage changelog: %w", err)
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}

	var written []string
	for _, arch := range arches {
		bin := cfg.BinaryFor(v.Name, arch)
		if st, err := os.Stat(bin); err != nil || !st.Mode().IsRegular() {
			return nil, fmt.Errorf("vendor %s: binary for linux/%s not found at %s (cross-build it first: make packages does)", v.Name, arch, bin)
		}
		sources := map[string]string{"@binary": bin, "@decoders": v.Decoders, "@rules": v.Rules, "@readme": v.Readme}
		for _, format := range formats {
			info := packageInfo(cfg, data[format], format, arch, filepath.Join(stage, format), sources, changelog)
			path, err := writePackage(cfg.OutDir, format, info)
			if err != nil {
				return nil, fmt.Errorf("vendor %s %s/%s: %w", v.Name, format, arch, err)
			}
			written = append(written, path)
		}
	}
	return written, nil
}

// packageInfo builds the nfpm description of one package. It is rebuilt for
// every package because nfpm rewrites Contents while packaging.
func packageInfo(cfg *BuildConfig, d *TemplateData, format, arch, stage string, sources map[string]string, changelog string) *nfpm.Info {
	var contents files.Contents
	for _, e := range d.Contents(format) {
		src := e.Source
		if s, ok := sources[src]; ok {
			src = s
		} else if src != "" {
			src = filepath.Join(stage, src)
		}
		contents = append(contents, &files.Content{
			Source:      src,
			Destination: e.Path,
			Type:        e.Type,
			FileInfo:    &files.ContentFileInfo{Owner: e.Owner, Group: e.Group, Mode: e.Mode, MTime: cfg.MTime},
		})
	}
	info := &nfpm.Info{
		Name:          d.Package,
		Arch:          arch,
		Platform:      "linux",
		Version:       cfg.Version.Version,
		Prerelease:    cfg.Version.Prerelease,
		VersionSchema: "none", // NormalizeVersion already split it
		Release:       cfg.Release,
		Section:       "admin",
		Priority:      "optional",
		Maintainer:    cfg.Maintainer,
		Vendor:        "wodlekit",
		Homepage:      cfg.Homepage,
		License:       cfg.License,
		Description:   description(d),
		MTime:         cfg.MTime,
		Overridables: nfpm.Overridables{
			Contents: contents,
			Scripts: nfpm.Scripts{
				PostInstall: filepath.Join(stage, filePostinst),
				PostRemove:  filepath.Join(stage, filePostrm),
			},
		},
	}
	switch format {
	case "deb":
		// "<< 5.0.0~" also excludes 5.0.0 pre-releases (5.0.0~rc1).
		info.Depends = []string{managerPkg + " (>= " + minManager + ")", managerPkg + " (<< " + limitManager + "~)"}
		info.Changelog = changelog
		info.Deb.Compression = "xz"
		info.Contents = append(info.Contents, &files.Content{
			Source:      filepath.Join(stage, fileLintian),
			Destination: "/usr/share/lintian/overrides/" + d.Package,
			FileInfo:    &files.ContentFileInfo{Owner: "root", Group: "root", Mode: 0o644, MTime: cfg.MTime},
		})
	case "rpm":
		info.Depends = []string{managerPkg + " >= " + minManager, managerPkg + " < " + limitManager}
		info.Changelog = changelog
		info.RPM.Summary = summary(d)
		info.RPM.Group = "System Environment/Daemons"
		info.RPM.BuildHost = rpmBuildHost
		info.RPM.Packager = cfg.Maintainer
		info.RPM.Compression = "xz"
		if cfg.Signer != nil {
			info.RPM.Signature.SignFn = cfg.Signer.Sign
		}
	}
	return info
}

// writePackage writes through a temporary file so an interrupted build never
// leaves a truncated package under its final name.
func writePackage(outDir, format string, info *nfpm.Info) (string, error) {
	pkgr, err := nfpm.Get(format)
	if err != nil {
		return "", fmt.Errorf("packager: %w", err)
	}
	info = nfpm.WithDefaults(info)
	path := filepath.Join(outDir, pkgr.ConventionalFileName(info))
	tmp, err := os.CreateTemp(outDir, ".partial-*")
	if err != nil {
		return "", fmt.Errorf("create package file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := pkgr.Package(info, tmp); err != nil {
		tmp.Close()
		return "", fmt.Errorf("package %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return "", fmt.Errorf("package %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("package %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("package %s: %w", path, err)
	}
	return path, nil
}

func summary(d *TemplateData) string {
	return d.Title + " events collector (wodle) for Wazuh 4.x managers"
}

// description is the synopsis line plus the extended description, wrapped for
// dpkg and rpm (lintian and rpmlint flag lines over 80 columns).
func description(d *TemplateData) string {
	long := d.Title + ": " + strings.TrimSuffix(d.Description, ".") + ". Installs a static binary and its run.sh under " + d.WodleDir +
		", a decoder and rules for Wazuh, and settings under " + d.ConfigDir +
		". The ossec.conf block to add on one node is in " + d.SnippetFile + "."
	return summary(d) + "\n" + wrap(long, 72)
}

// noteWidth is the width a changelog note is wrapped to: nfpm writes a
// continuation line of changelog.Debian after 9 columns ("   -     "), and
// lintian flags lines over 80 (debian-changelog-line-too-long).
const noteWidth = 80 - 9

func wrap(text string, width int) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return strings.Join(append(lines, line), "\n")
}

// changelogYAML is the package changelog (chglog format) nfpm turns into
// changelog.Debian.gz and the RPM %changelog, newest entry first. The first
// entry carries this build's package revision; earlier releases were -1.
// lintian rejects a Debian changelog without urgency and distribution.
func changelogYAML(cfg *BuildConfig, history []PackageChange) []byte {
	var b []byte
	for i, h := range history {
		release := "1"
		if i == 0 {
			release = cfg.Release
		}
		b = fmt.Appendf(b, `- semver: %q
  date: %s
  packager: %q
  deb:
    urgency: medium
    distributions: [stable]
  changes:
`, h.Version+"-"+release, h.Date.UTC().Format(time.RFC3339), cfg.Maintainer)
		for _, n := range h.Notes {
			// Debian's changelog continues a line with deeper indentation; lintian
			// flags lines over 80 columns.
			b = fmt.Appendf(b, "    - note: %q\n", strings.ReplaceAll(wrap(n, noteWidth), "\n", "\n    "))
		}
	}
	return b
}
