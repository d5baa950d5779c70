package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Debian Policy 5.6.7: package names are [a-z0-9][a-z0-9.+-]+.
var debNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]+$`)

func TestPackageName(t *testing.T) {
	tests := []struct{ vendor, want string }{
		{"onepassword", "wazuh-wodle-onepassword"},
		{"okta", "wazuh-wodle-okta"},
		{"proofpoint_tap", "wazuh-wodle-proofpoint-tap"},
		{"duo", "wazuh-wodle-duo"},
	}
	for _, tt := range tests {
		got := PackageName(tt.vendor)
		if got != tt.want || !debNameRE.MatchString(got) {
			t.Errorf("PackageName(%q) = %q, want %q (a valid deb name)", tt.vendor, got, tt.want)
		}
	}
}

// Every vendor found gets a valid package name and all its sources. The unit
// tests stay hermetic (the test repository only); make test-packaging runs the
// same discovery over this repository's vendors and builds, lints and installs
// each of them.
func TestEveryVendorPresent(t *testing.T) {
	for _, repo := range []string{"testdata/repo"} {
		vendors, err := DiscoverVendors(repo)
		if err != nil {
			t.Fatalf("%s: %v", repo, err)
		}
		for _, v := range vendors {
			if !debNameRE.MatchString(PackageName(v)) {
				t.Errorf("%s: vendor %s: package name %q is not a valid deb name", repo, v, PackageName(v))
			}
			if _, err := LocateSources(repo, v); err != nil {
				t.Errorf("%s: %v", repo, err)
			}
		}
	}
}

func TestDiscoverVendors(t *testing.T) {
	repo := t.TempDir()
	for _, d := range []string{"cmd/okta", "cmd/duo", "cmd/internal", "cmd/.hidden", "cmd/proofpoint_tap"} {
		if err := os.MkdirAll(filepath.Join(repo, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(repo, "cmd/go.mod"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := DiscoverVendors(repo)
	if err != nil {
		t.Fatal(err)
	}
	if want := "duo okta proofpoint_tap"; strings.Join(got, " ") != want {
		t.Errorf("DiscoverVendors = %v, want %s", got, want)
	}
	if _, err := DiscoverVendors(t.TempDir()); err == nil {
		t.Error("DiscoverVendors on a repository without cmd/: no error")
	}
}

func TestLocateSourcesNamesEveryMissingFile(t *testing.T) {
	repo := t.TempDir()
	if err := os.MkdirAll(filepath.Join(repo, "rules", "okta"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "rules", "okta", "okta_rules.xml"), []byte("<group/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LocateSources(repo, "okta")
	if err == nil {
		t.Fatal("no error with missing decoder and README")
	}
	for _, want := range []string{
		"vendor okta cannot be packaged",
		"missing decoder file (layer 5, rules/): " + filepath.Join(repo, "rules/okta/okta_decoders.xml"),
		"missing vendor README (layer 2, vendors/): " + filepath.Join(repo, "vendors/okta/README.md"),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "okta_rules.xml") {
		t.Errorf("error names the rules file, which exists: %v", err)
	}
}
