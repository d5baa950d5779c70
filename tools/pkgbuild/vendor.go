package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Installed layout. Paths follow Wazuh 4.x (/var/ossec) and Debian Policy
// (conffiles under /etc); see /work/shared/reference/packaging.md.
const (
	wazuhHome    = "/var/ossec"
	wazuhGroup   = "wazuh"
	managerPkg   = "wazuh-manager"
	minManager   = "4.3.0" // the wazuh group appeared in 4.3.0
	limitManager = "5.0.0" // 5.x moves to /var/wazuh-manager and drops XML rules
)

// Vendor is one vendor binary found under cmd/<name>, with everything its
// package is made of.
type Vendor struct {
	Name     string
	Meta     *Metadata
	Decoders string // source path of rules/<v>/<v>_decoders.xml
	Rules    string // source path of rules/<v>/<v>_rules.xml
	Readme   string // source path of vendors/<v>/README.md
}

// PackageName maps a vendor to its package name. Debian package names allow
// only [a-z0-9.+-], so the "_" of e.g. proofpoint_tap becomes "-"
// (wazuh-wodle-proofpoint-tap); the installed paths keep the vendor name.
func PackageName(vendor string) string {
	return "wazuh-wodle-" + strings.ReplaceAll(vendor, "_", "-")
}

// DiscoverVendors lists the vendors of a repository: every directory cmd/<v>/,
// the same rule the top-level Makefile uses for VENDORS.
func DiscoverVendors(repo string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(repo, "cmd"))
	if err != nil {
		return nil, fmt.Errorf("discover vendors: %w", err)
	}
	var vendors []string
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || name == "internal" || name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			continue
		}
		if !vendorNameRE.MatchString(name) {
			return nil, fmt.Errorf("discover vendors: cmd/%s: vendor directory names must match %s", name, vendorNameRE)
		}
		vendors = append(vendors, name)
	}
	if len(vendors) == 0 {
		return nil, fmt.Errorf("discover vendors: no vendor directory under %s", filepath.Join(repo, "cmd"))
	}
	sort.Strings(vendors)
	return vendors, nil
}

// LocateSources finds the per-vendor files the package needs and names every
// missing one, with the path it was expected at and who provides it.
func LocateSources(repo, vendor string) (*Vendor, error) {
	v := &Vendor{
		Name:     vendor,
		Decoders: filepath.Join(repo, "rules", vendor, vendor+"_decoders.xml"),
		Rules:    filepath.Join(repo, "rules", vendor, vendor+"_rules.xml"),
		Readme:   filepath.Join(repo, "vendors", vendor, "README.md"),
	}
	var errs []error
	for _, f := range []struct{ path, what string }{
		{v.Decoders, "decoder file (layer 5, rules/)"},
		{v.Rules, "rules file (layer 5, rules/)"},
		{v.Readme, "vendor README (layer 2, vendors/)"},
	} {
		st, err := os.Stat(f.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			errs = append(errs, fmt.Errorf("missing %s: %s", f.what, f.path))
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", f.what, err))
		case !st.Mode().IsRegular():
			errs = append(errs, fmt.Errorf("%s %s is not a regular file", f.what, f.path))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("vendor %s cannot be packaged: %w", vendor, errors.Join(errs...))
	}
	return v, nil
}
