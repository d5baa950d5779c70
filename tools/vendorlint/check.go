package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// modBase is the import path prefix of every module of the repository.
const modBase = "github.com/wodlekit/wodlekit/"

// queueSinkHeading starts the subsection of Configuration, the same in every
// vendor README, that says what the wazuh-queue sink guarantees and costs.
const queueSinkHeading = "### Sending to Wazuh's queue socket"

// ReadmeSections are the sections every vendors/<v>/README.md has, as
// second-level headings starting with these words, in this order.
var ReadmeSections = []string{"Setup", "Configuration", "When the Wazuh manager restarts", "Commands", "Sample events", "Rules", "Troubleshooting"}

// Problem is one missing or stale touch point and its fix.
type Problem struct {
	// Vendor is the vendor concerned.
	Vendor string
	// Where is the file or folder to change.
	Where string
	// What is wrong, and Fix what to do.
	What, Fix string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s: %s: %s; fix: %s", p.Vendor, p.Where, p.What, p.Fix)
}

// repo is what check reads of the repository once.
type repo struct {
	root    string
	vendors []string
	out     []Problem
}

func (r *repo) read(rel string) string {
	b, err := os.ReadFile(filepath.Join(r.root, rel))
	if err != nil {
		return ""
	}
	return string(b)
}

func (r *repo) exists(rel string) bool {
	_, err := os.Stat(filepath.Join(r.root, rel))
	return err == nil
}

func (r *repo) add(vendor, where, what, fix string, args ...any) {
	r.out = append(r.out, Problem{Vendor: vendor, Where: where, What: what, Fix: fmt.Sprintf(fix, args...)})
}

// names returns the distinct first submatches of re in s.
func names(re *regexp.Regexp, s string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// vendorsOf lists the vendors: every vendors/<v> holding a go.mod.
func vendorsOf(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "vendors"))
	if err != nil {
		return nil, fmt.Errorf("no vendors folder under %s: %w", root, err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(root, "vendors", e.Name(), "go.mod")); err == nil {
				out = append(out, e.Name())
			}
		}
	}
	return out, nil
}

// check returns every problem of every vendor, in a stable order.
func check(root string) ([]Problem, error) {
	vs, err := vendorsOf(root)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, errors.New("no vendor found (a vendors/<v> folder with a go.mod)")
	}
	r := &repo{root: root, vendors: vs}
	for _, v := range vs {
		r.workspace(v)
		r.cmd(v)
		r.fakeapi(v)
		r.rules(v)
		r.docs(v)
		r.tests(v)
	}
	r.stale()
	return r.out, nil
}

var (
	workUseRE    = regexp.MustCompile(`\./vendors/([A-Za-z0-9_.-]+)`)
	requireRE    = regexp.MustCompile(`(?m)^\s*(?:require\s+)?github\.com/wodlekit/wodlekit/vendors/([A-Za-z0-9_.-]+)\s+v\S+`)
	replaceRE    = regexp.MustCompile(`(?m)github\.com/wodlekit/wodlekit/vendors/([A-Za-z0-9_.-]+)\s*=>\s*(\S+)`)
	fakeRegRE    = regexp.MustCompile(`"([A-Za-z0-9_.-]+)"\s*:\s*([A-Za-z0-9_]+)\.Demo\b`)
	fakeImportRE = regexp.MustCompile(`(?m)^\s*([A-Za-z0-9_]+)\s+"github\.com/wodlekit/wodlekit/vendors/([A-Za-z0-9_.-]+)/fakeapi"`)
	readmeRowRE  = regexp.MustCompile(`(?m)^\|.*\(vendors/([A-Za-z0-9_.-]+)/README\.md\)`)
	registryRE   = regexp.MustCompile(`(?m)^([A-Za-z0-9_.-]+)\t[0-9]+\t[0-9]+`)
)

// replaces maps each vendor a go.mod replaces to the path it points at.
func replaces(gomod string) map[string]string {
	out := map[string]string{}
	for _, m := range replaceRE.FindAllStringSubmatch(gomod, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// goModDeps checks that a go.mod at dir requires and replaces the vendor.
func (r *repo) goModDeps(v, gomod, rel string) {
	text := r.read(gomod)
	if !slices.Contains(names(requireRE, text), v) {
		r.add(v, gomod, "does not require the vendor's module",
			"cd %s && go mod edit -require=%svendors/%s@v0.0.0", filepath.Dir(gomod), modBase, v)
	}
	if got, ok := replaces(text)[v]; !ok || got != rel {
		r.add(v, gomod, fmt.Sprintf("does not replace the vendor's module with %s (has %q)", rel, got),
			"cd %s && go mod edit -replace=%svendors/%s=%s", filepath.Dir(gomod), modBase, v, rel)
	}
}

func (r *repo) workspace(v string) {
	if !slices.Contains(names(workUseRE, r.read("go.work")), v) {
		r.add(v, "go.work", "does not use ./vendors/"+v, "go work use ./vendors/%s", v)
	}
	mod := r.read("vendors/" + v + "/go.mod")
	if !strings.Contains(mod, "module "+modBase+"vendors/"+v+"\n") {
		r.add(v, "vendors/"+v+"/go.mod", "module path is not "+modBase+"vendors/"+v, "set `module %svendors/%s`", modBase, v)
	}
	if !regexp.MustCompile(`github\.com/wodlekit/wodlekit/runtime\s*=>\s*\.\./\.\./runtime`).MatchString(mod) {
		r.add(v, "vendors/"+v+"/go.mod", "does not replace the runtime with ../../runtime (it must build with GOWORK=off)",
			"cd vendors/%s && go mod edit -replace=%sruntime=../../runtime", v, modBase)
	}
}

func (r *repo) cmd(v string) {
	r.goModDeps(v, "cmd/go.mod", "../vendors/"+v)
	main := r.read("cmd/" + v + "/main.go")
	if !strings.Contains(main, `"`+modBase+"vendors/"+v+`"`) || !strings.Contains(main, "runner.Main(") {
		r.add(v, "cmd/"+v+"/main.go", "missing, or not one line of wiring to the vendor",
			"write `func main() { os.Exit(runner.Main(%s.New)) }` importing %svendors/%s", pkgName(v), modBase, v)
	}
}

func (r *repo) fakeapi(v string) {
	src := r.read("tools/fakeapi/main.go")
	aliases := map[string]string{}
	for _, m := range fakeImportRE.FindAllStringSubmatch(src, -1) {
		aliases[m[1]] = m[2]
	}
	registered := false
	for _, m := range fakeRegRE.FindAllStringSubmatch(src, -1) {
		if m[1] == v && aliases[m[2]] == v {
			registered = true
		}
	}
	if !registered {
		r.add(v, "tools/fakeapi/main.go", "does not register the vendor's fake",
			"import %s \"%svendors/%s/fakeapi\" and add `\"%s\": %s.Demo,` to vendors()", pkgName(v), modBase, v, v, pkgName(v))
	}
	r.goModDeps(v, "tools/fakeapi/go.mod", "../../vendors/"+v)
	fake := ""
	files, _ := filepath.Glob(filepath.Join(r.root, "vendors", v, "fakeapi", "*.go"))
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			b, _ := os.ReadFile(f)
			fake += string(b)
		}
	}
	if !strings.Contains(fake, "func Demo(") || !strings.Contains(fake, "fakekit.Fake = (*") {
		r.add(v, "vendors/"+v+"/fakeapi", "no fake API implementing fakekit.Fake with a Demo function",
			"write package fakeapi on runtime/wodletest/fakekit: `var _ fakekit.Fake = (*API)(nil)` and `func Demo(fakekit.DemoConfig) fakekit.Demo`")
	}
}

func (r *repo) rules(v string) {
	if !slices.Contains(names(registryRE, r.read("rules/registry.tsv")), v) {
		r.add(v, "rules/registry.tsv", "has no rule ID block for the vendor",
			"add a line `%s\\t<first>\\t<last>\\t<comment>` with the next free block of 100 IDs", v)
	}
	for _, f := range []string{v + "_decoders.xml", v + "_rules.xml"} {
		if !r.exists(filepath.Join("rules", v, f)) {
			r.add(v, "rules/"+v+"/"+f, "missing", "write the vendor's %s (see rules/duo/ for the shape)", f)
		}
	}
	if ini, _ := filepath.Glob(filepath.Join(r.root, "rules", v, "tests", "*.ini")); len(ini) == 0 {
		r.add(v, "rules/"+v+"/tests", "has no .ini rule test", "write rules/%s/tests/%s.ini from the golden lines", v, v)
	}
}

func (r *repo) docs(v string) {
	if !slices.Contains(names(readmeRowRE, r.read("README.md")), v) {
		r.add(v, "README.md", "the vendor table has no row for the vendor",
			"add `| <Title> | <what it collects> | [vendors/%s](vendors/%s/README.md) |` to the table", v, v)
	}
	// Each vendor is released on its own tag from its own changelog (make release).
	if !r.exists("vendors/" + v + "/CHANGELOG.md") {
		r.add(v, "vendors/"+v+"/CHANGELOG.md", "missing",
			"write it in the Keep a Changelog format, with the changes under `## [Unreleased]` (make release %s/vX.Y.Z needs a `## [X.Y.Z] - YYYY-MM-DD` section)", v)
	}
	readme := r.read("vendors/" + v + "/README.md")
	if readme == "" {
		r.add(v, "vendors/"+v+"/README.md", "missing", "write it with the sections %s", strings.Join(ReadmeSections, ", "))
		return
	}
	heads := headings(readme)
	last := -1
	for _, want := range ReadmeSections {
		i := slices.IndexFunc(heads, func(h string) bool { return strings.HasPrefix(h, want) })
		switch {
		case i < 0:
			r.add(v, "vendors/"+v+"/README.md", "has no section \""+want+"\"", "add a `## %s` section (sections, in order: %s)", want, strings.Join(ReadmeSections, ", "))
		case i < last:
			r.add(v, "vendors/"+v+"/README.md", "section \""+want+"\" is out of order", "order the sections %s", strings.Join(ReadmeSections, ", "))
		default:
			last = i
		}
	}
	if body := section(readme, "Configuration"); body != "" && !strings.Contains(body, queueSinkHeading) {
		r.add(v, "vendors/"+v+"/README.md", "the Configuration section does not describe the queue sink",
			"add the `%s` subsection every vendor README has (what SINK=wazuh-queue guarantees and costs)", queueSinkHeading)
	}
	if body := section(readme, "Troubleshooting"); body != "" && !strings.Contains(body, "\n|") {
		r.add(v, "vendors/"+v+"/README.md", "the Troubleshooting section has no table",
			"list the vendor's real error answers: `| error event | cause | fix |`, one row each")
	}
}

func (r *repo) tests(v string) {
	golden, _ := filepath.Glob(filepath.Join(r.root, "vendors", v, "testdata", "golden", "*.jsonl"))
	if len(golden) == 0 {
		r.add(v, "vendors/"+v+"/testdata/golden", "has no golden file",
			"write a golden test with wodletest.Golden and run it with -update")
	}
	tests := ""
	files, _ := filepath.Glob(filepath.Join(r.root, "vendors", v, "*_test.go"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		tests += string(b)
	}
	if !strings.Contains(tests, "wodletest.Conformance(") {
		r.add(v, "vendors/"+v, "no test runs the conformance suite", "add `func TestConformance(t *testing.T) { wodletest.Conformance(t, harness()) }`")
	}
	if !strings.Contains(tests, "wodletest.Golden(") {
		r.add(v, "vendors/"+v, "no test compares golden output", "add a golden test with wodletest.Golden")
	}
}

// stale reports touch points that name a vendor that does not exist.
func (r *repo) stale() {
	known := func(v string) bool { return slices.Contains(r.vendors, v) }
	gone := func(where, v, fix string, args ...any) {
		if !known(v) {
			r.add(v, where, "names a vendor with no vendors/"+v+"/go.mod (stale)", fix, args...)
		}
	}
	for _, v := range names(workUseRE, r.read("go.work")) {
		gone("go.work", v, "go work edit -dropuse=./vendors/%s", v)
	}
	for _, gm := range []string{"cmd/go.mod", "tools/fakeapi/go.mod"} {
		text := r.read(gm)
		for _, v := range names(requireRE, text) {
			gone(gm, v, "cd %s && go mod edit -droprequire=%svendors/%s", filepath.Dir(gm), modBase, v)
		}
		for v := range replaces(text) {
			gone(gm, v, "cd %s && go mod edit -dropreplace=%svendors/%s", filepath.Dir(gm), modBase, v)
		}
	}
	for _, m := range fakeRegRE.FindAllStringSubmatch(r.read("tools/fakeapi/main.go"), -1) {
		gone("tools/fakeapi/main.go", m[1], "remove the `%q: ...Demo` line and its import", m[1])
	}
	for _, v := range names(registryRE, r.read("rules/registry.tsv")) {
		if v != "vendor" {
			gone("rules/registry.tsv", v, "remove the %s line (or restore the vendor)", v)
		}
	}
	for _, v := range names(readmeRowRE, r.read("README.md")) {
		gone("README.md", v, "remove the vendor table's row for %s", v)
	}
	for _, dir := range []string{"cmd", "rules"} {
		entries, _ := os.ReadDir(filepath.Join(r.root, dir))
		for _, e := range entries {
			if e.IsDir() {
				gone(dir+"/"+e.Name(), e.Name(), "remove %s/%s (or restore the vendor)", dir, e.Name())
			}
		}
	}
	slices.SortStableFunc(r.out, func(a, b Problem) int { return strings.Compare(a.Vendor, b.Vendor) })
}

// headings lists a Markdown file's second-level headings, outside code
// fences.
func headings(md string) []string {
	var out []string
	fence := false
	sc := bufio.NewScanner(strings.NewReader(md))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "```") || strings.HasPrefix(line, "~~~") {
			fence = !fence
		}
		if h, ok := strings.CutPrefix(line, "## "); ok && !fence {
			out = append(out, strings.TrimSpace(h))
		}
	}
	return out
}

// section returns the body of the second-level section whose heading
// starts with name, up to the next second-level heading.
func section(md, name string) string {
	var b bytes.Buffer
	in, fence := false, false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			fence = !fence
		}
		if h, ok := strings.CutPrefix(line, "## "); ok && !fence {
			in = strings.HasPrefix(h, name)
			continue
		}
		if in {
			b.WriteString("\n" + line)
		}
	}
	return b.String()
}

// pkgName is the Go package name of a vendor folder (proofpoint_tap:
// proofpointtap).
func pkgName(v string) string { return strings.ReplaceAll(v, "_", "") }
