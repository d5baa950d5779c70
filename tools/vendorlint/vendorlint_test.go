package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const repoRoot = "../.."

// copyRepo copies what check reads of the repository into a temporary
// folder, so that a test can break it.
func copyRepo(t *testing.T, extra ...string) string {
	t.Helper()
	dst := t.TempDir()
	for _, top := range append([]string{"go.work", "README.md", "cmd", "tools/fakeapi", "rules", "vendors"}, extra...) {
		err := filepath.WalkDir(filepath.Join(repoRoot, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(repoRoot, path)
			if d.IsDir() {
				return os.MkdirAll(filepath.Join(dst, rel), 0o755)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestRepositoryKeepsTheContract(t *testing.T) {
	problems, err := check(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// edit rewrites a file of the copy; an empty replacement of the whole
// pattern deletes the match.
func edit(t *testing.T, root, rel, pattern, repl string) {
	t.Helper()
	path := filepath.Join(root, rel)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(pattern)
	if !re.Match(b) {
		t.Fatalf("%s does not match %s: the test would prove nothing", rel, pattern)
	}
	if err := os.WriteFile(path, re.ReplaceAll(b, []byte(repl)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, root, rel string) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(root, rel)); err != nil {
		t.Fatal(err)
	}
}

func TestEveryTouchPointIsChecked(t *testing.T) {
	tests := []struct {
		name      string
		breakIt   func(t *testing.T, root string)
		where     string
		fixSays   string
		forVendor string
	}{
		{"go.work", func(t *testing.T, r string) { edit(t, r, "go.work", `\s*\./vendors/duo\n`, "\n") }, "go.work", "go work use ./vendors/duo", "duo"},
		{"cmd require", func(t *testing.T, r string) {
			edit(t, r, "cmd/go.mod", `\s*github.com/wodlekit/wodlekit/vendors/okta v0.0.0\n`, "\n")
		}, "cmd/go.mod", "-require=github.com/wodlekit/wodlekit/vendors/okta", "okta"},
		{"cmd replace", func(t *testing.T, r string) {
			edit(t, r, "cmd/go.mod", `vendors/okta => \.\./vendors/okta`, "vendors/okta => ../vendors/oktaX")
		}, "cmd/go.mod", "-replace=github.com/wodlekit/wodlekit/vendors/okta=../vendors/okta", "okta"},
		{"cmd main", func(t *testing.T, r string) { remove(t, r, "cmd/duo/main.go") }, "cmd/duo/main.go", "runner.Main(duo.New)", "duo"},
		{"fakeapi registration", func(t *testing.T, r string) { edit(t, r, "tools/fakeapi/main.go", `"okta":\s+okta\.Demo,`, "") }, "tools/fakeapi/main.go", `"okta": okta.Demo,`, "okta"},
		{"fakeapi go.mod", func(t *testing.T, r string) {
			edit(t, r, "tools/fakeapi/go.mod", `\s*github.com/wodlekit/wodlekit/vendors/duo v0.0.0\n`, "\n")
		}, "tools/fakeapi/go.mod", "-require=", "duo"},
		{"fake interface guard", func(t *testing.T, r string) {
			edit(t, r, "vendors/okta/fakeapi/fakeapi.go", `var _ fakekit\.Fake = \(\*API\)\(nil\)`, "")
		}, "vendors/okta/fakeapi", "fakekit.Fake", "okta"},
		{"registry", func(t *testing.T, r string) { edit(t, r, "rules/registry.tsv", `(?m)^duo\t.*\n`, "") }, "rules/registry.tsv", "next free block", "duo"},
		{"rules file", func(t *testing.T, r string) { remove(t, r, "rules/okta/okta_rules.xml") }, "rules/okta/okta_rules.xml", "okta_rules.xml", "okta"},
		{"ini tests", func(t *testing.T, r string) { remove(t, r, "rules/duo/tests") }, "rules/duo/tests", "duo.ini", "duo"},
		{"README row", func(t *testing.T, r string) { edit(t, r, "README.md", `(?m)^\|.*vendors/duo/README\.md.*\n`, "") }, "README.md", "vendors/duo/README.md", "duo"},
		{"golden", func(t *testing.T, r string) { remove(t, r, "vendors/okta/testdata/golden") }, "vendors/okta/testdata/golden", "-update", "okta"},
		{"conformance test", func(t *testing.T, r string) { remove(t, r, "vendors/duo/conformance_test.go") }, "vendors/duo", "wodletest.Conformance", "duo"},
		{"README section", func(t *testing.T, r string) {
			edit(t, r, "vendors/duo/README.md", `(?m)^## Troubleshooting`, "## Problems")
		}, "vendors/duo/README.md", "## Troubleshooting", "duo"},
		{"Troubleshooting without a table", func(t *testing.T, r string) {
			edit(t, r, "vendors/duo/README.md", `(?ms)^## Troubleshooting.*`, "## Troubleshooting\n\nAsk someone.\n")
		}, "vendors/duo/README.md", "| error event | cause | fix |", "duo"},
		{"queue sink subsection", func(t *testing.T, r string) {
			edit(t, r, "vendors/okta/README.md", `(?m)^### Sending to Wazuh's queue socket`, "### The queue")
		}, "vendors/okta/README.md", "### Sending to Wazuh's queue socket", "okta"},
		{"README sections out of order", func(t *testing.T, r string) {
			edit(t, r, "vendors/okta/README.md", `(?m)^## Setup \(Okta side\)`, "## Okta side")
			edit(t, r, "vendors/okta/README.md", `(?m)^## Development`, "## Setup\n\n## Development")
		}, "vendors/okta/README.md", "order the sections", "okta"},
		{"stale cmd folder", func(t *testing.T, r string) {
			if err := os.MkdirAll(filepath.Join(r, "cmd", "gone"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, "cmd/gone", "remove cmd/gone", "gone"},
		{"stale registry line", func(t *testing.T, r string) {
			edit(t, r, "rules/registry.tsv", `(?m)\z`, "gone\t118000\t118099\tremoved\n")
		}, "rules/registry.tsv", "remove the gone line", "gone"},
		{"stale go.work entry", func(t *testing.T, r string) { remove(t, r, "vendors/okta/go.mod") }, "go.work", "-dropuse=./vendors/okta", "okta"},
		{"no CHANGELOG", func(t *testing.T, r string) { remove(t, r, "vendors/proofpoint_tap/CHANGELOG.md") },
			"vendors/proofpoint_tap/CHANGELOG.md", "make release proofpoint_tap/vX.Y.Z", "proofpoint_tap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := copyRepo(t)
			tt.breakIt(t, root)
			problems, err := check(root)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range problems {
				if p.Vendor == tt.forVendor && p.Where == tt.where && strings.Contains(p.Fix, tt.fixSays) {
					found = true
				}
			}
			if !found {
				t.Fatalf("no problem for %s at %s whose fix says %q; got %v", tt.forVendor, tt.where, tt.fixSays, problems)
			}
		})
	}
}

func TestNewVendorPassesCheck(t *testing.T) {
	root := copyRepo(t)
	// The new vendor takes the block after the highest one registered.
	before, err := os.ReadFile(filepath.Join(root, "rules", "registry.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	first := 0
	for _, line := range strings.Split(string(before), "\n")[1:] {
		var name string
		var lo, hi int
		if n, _ := fmt.Sscanf(line, "%s %d %d", &name, &lo, &hi); n == 3 && hi+1 > first {
			first = hi + 1
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"new", "-root", root, "-name", "acme_mail", "-title", "Acme Mail"}, &stdout, &stderr); code != 0 {
		t.Fatalf("new: exit %d: %s", code, stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"check", "-root", root}, &stdout, &stderr); code != 0 {
		t.Fatalf("check after new: exit %d:\n%s", code, stderr.String())
	}
	registry, _ := os.ReadFile(filepath.Join(root, "rules", "registry.tsv"))
	if want := fmt.Sprintf("acme_mail\t%d\t%d\tAcme Mail\n", first, first+99); !strings.Contains(string(registry), want) {
		t.Errorf("registry:\n%s", registry)
	}
	// A second vendor takes the next block, and a taken name is refused.
	if code := run([]string{"new", "-root", root, "-name", "acme_mail"}, &stdout, &stderr); code == 0 {
		t.Error("new accepted an existing vendor")
	}
	for _, bad := range []string{"Acme", "acme-mail", "_acme", "a"} {
		if code := run([]string{"new", "-root", root, "-name", bad}, &stdout, &stderr); code == 0 {
			t.Errorf("new accepted the name %q", bad)
		}
	}
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	for _, args := range [][]string{nil, {"lint"}, {"check", "extra"}, {"check", "-bogus"}} {
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code := run([]string{"check", "-root", t.TempDir()}, &out, &errb); code != 1 {
		t.Errorf("check of an empty folder: exit %d, want 1", code)
	}
}

// TestSkeletonBuildsAndFailsConformance proves the other half of the
// skeleton's promise: it compiles (vendor, fake, binary, demo server) and
// the conformance suite fails until Fetch is written.
func TestSkeletonBuildsAndFailsConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a module")
	}
	root := copyRepo(t, "runtime")
	var out, errb bytes.Buffer
	if code := run([]string{"new", "-root", root, "-name", "acme_mail"}, &out, &errb); code != 0 {
		t.Fatalf("new: exit %d: %s", code, errb.String())
	}
	goRun := func(dir string, args ...string) (string, error) {
		cmd := exec.Command("go", args...)
		cmd.Dir = filepath.Join(root, dir)
		cmd.Env = append(os.Environ(), "GOWORK=off")
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	for _, m := range []string{"vendors/acme_mail", "cmd", "tools/fakeapi"} {
		if out, err := goRun(m, "mod", "tidy"); err != nil {
			t.Fatalf("go mod tidy in %s: %v\n%s", m, err, out)
		}
		if out, err := goRun(m, "vet", "./..."); err != nil {
			t.Fatalf("go vet in %s: %v\n%s", m, err, out)
		}
	}
	got, err := goRun("vendors/acme_mail", "test", "-count=1", "-run", "TestConformance", ".")
	if err == nil {
		t.Fatalf("the skeleton passed the conformance suite:\n%s", got)
	}
	if !strings.Contains(got, "Fetch is not written yet") || !strings.Contains(got, "--- FAIL: TestConformance") {
		t.Fatalf("the conformance suite failed for another reason than the unwritten Fetch:\n%s", got)
	}
}
