package lint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyTree copies src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGoodFixture(t *testing.T) {
	rep := Run("../testdata/good")
	if rep.Errors() != 0 {
		for _, d := range rep.Diags {
			t.Log(d)
		}
		t.Fatalf("good fixture has %d errors", rep.Errors())
	}
	if rep.Cases != 8 || rep.Failed != 0 || rep.Rules != 5 {
		t.Errorf("cases=%d failed=%d rules=%d", rep.Cases, rep.Failed, rep.Rules)
	}
}

// Each negative fixture overlays testdata/good and must produce its message
// with the file and line that a user has to fix.
func TestNegativeFixtures(t *testing.T) {
	const rules = "rules/onepassword/onepassword_rules.xml"
	tests := []struct {
		dir, want string
	}{
		{"dup_id", rules + ":25: rule id 117001 is duplicated"},
		{"unknown_if_sid", rules + ":14: rule 117002: signature id 117050 not found in if_sid"},
		{"static_field", rules + ":15: rule 117002: field 'user' is static (analysisd refuses to start) — fix: use the <user> option"},
		{"never_emitted", rules + `:15: rule 117002: field "onepassword.outcome" never appears in onepassword's golden output`},
		{"bad_level", rules + `:25: rule 117004: invalid level "17" — fix: use a level from 0 to 16`},
		{"long_desc", rules + ":28: rule 117004: description may expand past 1024 bytes"},
		{"overlap", "rules/registry.tsv:3: block okta 117050-117199 overlaps onepassword 117000-117099"},
		{"reserved_id", rules + ":25: rule id 100050 is in 100001-100099"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			d := t.TempDir()
			copyTree(t, "../testdata/good", d)
			copyTree(t, filepath.Join("../testdata/neg", tt.dir), d)
			rep := Run(d)
			var all []string
			found := false
			for _, dg := range rep.Diags {
				all = append(all, dg.String())
				if strings.Contains(dg.String(), tt.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("want %q in:\n%s", tt.want, strings.Join(all, "\n"))
			}
			if rep.Errors() == 0 {
				t.Error("no error reported")
			}
		})
	}
}

func TestNoGolden(t *testing.T) {
	d := t.TempDir()
	copyTree(t, "../testdata/good", d)
	if err := os.RemoveAll(filepath.Join(d, "vendors")); err != nil {
		t.Fatal(err)
	}
	rep := Run(d)
	found := false
	for _, dg := range rep.Diags {
		if strings.Contains(dg.String(), "no golden output for vendor onepassword") {
			found = true
		}
	}
	if !found {
		t.Error("missing golden not reported")
	}
}
