package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseChangelog(t *testing.T) {
	c, err := ParseChangelog("testdata/changelog/vendor.md", false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Added: Pending feature."}; !reflect.DeepEqual(c.Unreleased, want) {
		t.Errorf("Unreleased = %q, want %q", c.Unreleased, want)
	}
	want := []ChangeSection{
		{Version: "1.3.0", Date: day("2026-12-01"), Items: []string{"Fixed: A fix that spans two lines."}},
		{Version: "1.2.0", Date: day("2026-11-20"), Items: []string{"Added: First feature.", "Added: Second feature."}},
	}
	if !reflect.DeepEqual(c.Sections, want) {
		t.Errorf("Sections = %+v\nwant %+v", c.Sections, want)
	}
}

func TestParseChangelogErrors(t *testing.T) {
	tests := []struct {
		name, text string
		dated      bool
		want       string
	}{
		{"release without date", "## [1.0.0]\n- x\n", false, "release 1.0.0 has no date"},
		{"not a version", "## [one] - 2026-01-01\n- x\n", false, `"one" is not a version`},
		{"bad date", "## [1.0.0] - 2026-13-01\n- x\n", false, `date "2026-13-01" is not YYYY-MM-DD`},
		{"odd heading", "## Version 1.0.0 of it\n- x\n", false, "is neither"},
		{"empty section", "## [1.0.0] - 2026-01-01\n### Added\n", false, "section [1.0.0] - 2026-01-01 has no"},
		{"repeated version", "## [1.0.0] - 2026-01-02\n- x\n## [1.0.0] - 2026-01-01\n- y\n", false, "repeats the one on line 1"},
		{"oldest first", "## [1.0.0] - 2026-01-01\n- x\n## [1.1.0] - 2026-02-01\n- y\n", false, "newest first"},
		{"item before any section", "# Changelog\n- x\n", false, "outside any"},
		{"runtime section without date", "## [1.0.0]\n- x\n", true, "has no date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "CHANGELOG.md")
			if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ParseChangelog(path, tt.dated)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error = %v, want one naming %s and containing %q", err, path, tt.want)
			}
		})
	}
}

// testLogs parses the sample vendor and runtime changelogs.
func testLogs(t *testing.T) (vendorLog, runtimeLog *Changelog) {
	t.Helper()
	vendorLog, err := ParseChangelog("testdata/changelog/vendor.md", false)
	if err != nil {
		t.Fatal(err)
	}
	runtimeLog, err = ParseChangelog("testdata/changelog/runtime.md", true)
	if err != nil {
		t.Fatal(err)
	}
	return vendorLog, runtimeLog
}

func TestVendorHistory(t *testing.T) {
	vendorLog, runtimeLog := testLogs(t)
	runtimeDated := *runtimeLog
	runtimeDated.Unreleased = nil
	rel130 := PackageChange{Version: "1.3.0", Date: day("2026-12-01"),
		Notes: []string{"Fixed: A fix that spans two lines.", "runtime: Changed: Between the two releases."}}
	rel120 := PackageChange{Version: "1.2.0", Date: day("2026-11-20"),
		Notes: []string{"Added: First feature.", "Added: Second feature.", "runtime: Added: Same day as 1.2.0.", "runtime: Added: Before everything."}}
	build := day("2026-12-03")
	tests := []struct {
		version string
		require bool
		want    []PackageChange
		wantErr string
	}{
		{"1.3.0", true, []PackageChange{rel130, rel120}, ""},
		{"1.2.0", true, []PackageChange{rel120}, ""},
		{"1.4.0", true, nil, `has no "## [1.4.0] - YYYY-MM-DD" section`},
		{"v1.3.0-2-gabcdef0", false, []PackageChange{{Version: "1.3.0+git.2.abcdef0", Date: build, Notes: []string{
			"Development build 1.3.0+git.2.abcdef0, not a release.", "Added: Pending feature.",
			"runtime: Changed: Pending runtime change.", "runtime: Fixed: After the last release."}}, rel130, rel120}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			v, err := NormalizeVersion(tt.version)
			if err != nil {
				t.Fatal(err)
			}
			rt := runtimeLog
			if tt.require {
				rt = &runtimeDated
			}
			got, err := VendorHistory(vendorLog, rt, v, build, tt.require)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrNoChangelogEntry) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want ErrNoChangelogEntry containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("history =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestReleaseWithUndatedRuntimeChanges(t *testing.T) {
	vendorLog, runtimeLog := testLogs(t)
	_, err := VendorHistory(vendorLog, runtimeLog, PackageVersion{Version: "1.3.0"}, day("2026-12-03"), true)
	if err == nil || !strings.Contains(err.Error(), `runtime.md has [Unreleased] items: move them under "## [2026-12-01]"`) {
		t.Fatalf("error = %v", err)
	}
}

func TestLoadHistoryWithoutChangelog(t *testing.T) {
	v := PackageVersion{Version: "1.0.0"}
	if _, err := LoadHistory("testdata/repo", "acme", v, day("2026-01-01"), true); !errors.Is(err, ErrNoChangelogEntry) ||
		!strings.Contains(err.Error(), "CHANGELOG.md does not exist") {
		t.Fatalf("release without a CHANGELOG.md: error = %v", err)
	}
	got, err := LoadHistory("testdata/repo", "acme", v, day("2026-01-01"), false)
	if err != nil || len(got) != 1 || got[0].Notes[0] != "Development build 1.0.0, not a release." {
		t.Fatalf("development build without a CHANGELOG.md: %+v, %v", got, err)
	}
}

// The repository's own changelogs must parse: a malformed one would only
// fail at release time otherwise.
func TestRepositoryChangelogs(t *testing.T) {
	paths, _ := filepath.Glob("../../vendors/*/CHANGELOG.md")
	vendors, err := DiscoverVendors("../..")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(vendors) {
		t.Errorf("%d vendors but %d vendors/*/CHANGELOG.md: every vendor keeps one", len(vendors), len(paths))
	}
	for _, p := range paths {
		if _, err := ParseChangelog(p, false); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseChangelog("../../runtime/CHANGELOG.md", true); err != nil {
		t.Error(err)
	}
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}
