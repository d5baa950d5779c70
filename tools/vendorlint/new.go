package main

import (
	"bytes"
	"errors"
	"fmt"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/template"
)

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*[a-z0-9]$`)

// skeleton is what the templates are filled with.
type skeleton struct {
	Name, Pkg, Title, Prefix string
	First, Last              int
}

// newVendor lays out a vendor skeleton and registers it at every touch
// point; the make target tidies the go.mod files afterwards.
func newVendor(root, name, title, prefix string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("name %q: want lower-case letters, digits and _ (the integration value, e.g. acme_mail)", name)
	}
	if _, err := os.Stat(filepath.Join(root, "vendors", name)); err == nil {
		return fmt.Errorf("vendors/%s already exists", name)
	}
	if title == "" {
		title = name
	}
	if prefix == "" {
		prefix = strings.ToUpper(name) + "_"
	}
	if !regexp.MustCompile(`^[A-Z][A-Z0-9_]*_$`).MatchString(prefix) {
		return fmt.Errorf("prefix %q: want upper-case letters, digits and _, ending in _", prefix)
	}
	first, err := nextBlock(filepath.Join(root, "rules", "registry.tsv"))
	if err != nil {
		return err
	}
	s := skeleton{Name: name, Pkg: pkgName(name), Title: title, Prefix: prefix, First: first, Last: first + 99}
	for path, tmpl := range skeletonFiles {
		path = strings.ReplaceAll(path, "NAME", name)
		if err := writeTemplate(filepath.Join(root, path), tmpl, s); err != nil {
			return err
		}
	}
	steps := []func() error{
		func() error {
			return appendLine(filepath.Join(root, "rules", "registry.tsv"), fmt.Sprintf("%s\t%d\t%d\t%s", name, first, first+99, title))
		},
		func() error { return addReadmeRow(filepath.Join(root, "README.md"), s) },
		func() error { return registerFake(filepath.Join(root, "tools", "fakeapi", "main.go"), s) },
		func() error { return goCmd(root, "", "work", "edit", "-use=./vendors/"+name) },
		func() error { return addModule(root, "cmd", "../vendors/"+name, name) },
		func() error { return addModule(root, "tools/fakeapi", "../../vendors/"+name, name) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// nextBlock is the first ID after the highest registered block.
func nextBlock(registry string) (int, error) {
	b, err := os.ReadFile(registry)
	if err != nil {
		return 0, err
	}
	last := 0
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 3 {
			continue
		}
		if n, err := strconv.Atoi(f[2]); err == nil && n > last {
			last = n
		}
	}
	if last == 0 {
		return 0, fmt.Errorf("%s: no registered block to continue from", registry)
	}
	return last + 1, nil
}

func writeTemplate(path, text string, s skeleton) error {
	t, err := template.New(filepath.Base(path)).Delims("[[", "]]").Parse(text)
	if err != nil {
		return fmt.Errorf("template %s: %w", path, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, s); err != nil {
		return fmt.Errorf("template %s: %w", path, err)
	}
	out := b.Bytes()
	if strings.HasSuffix(path, ".go") {
		if out, err = format.Source(out); err != nil {
			return fmt.Errorf("gofmt %s: %w", path, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}

func appendLine(path, line string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(b) > 0 && !bytes.HasSuffix(b, []byte("\n")) {
		b = append(b, '\n')
	}
	return os.WriteFile(path, append(b, line+"\n"...), 0o644)
}

// addReadmeRow adds the vendor's row after the last row of the vendor table.
func addReadmeRow(path string, s skeleton) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.Split(string(b), "\n")
	at := -1
	for i, l := range lines {
		if readmeRowRE.MatchString(l) {
			at = i
		}
	}
	if at < 0 {
		return fmt.Errorf("%s: no vendor table row to follow", path)
	}
	row := fmt.Sprintf("| %s | TODO: what it collects | [vendors/%s](vendors/%s/README.md) |", s.Title, s.Name, s.Name)
	lines = append(lines[:at+1], append([]string{row}, lines[at+1:]...)...)
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644)
}

// registerFake adds the import and the vendors() line to tools/fakeapi.
func registerFake(path string, s skeleton) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	src := string(b)
	imp := fakeImportRE.FindAllStringIndex(src, -1)
	reg := fakeRegRE.FindAllStringIndex(src, -1)
	if len(imp) == 0 || len(reg) == 0 {
		return errors.New(path + ": no vendor import or vendors() line to follow")
	}
	// Insert the later position first so the earlier one stays valid.
	line := fmt.Sprintf("\n\t\t%q: %s.Demo,", s.Name, s.Pkg)
	end := reg[len(reg)-1][1] + strings.Index(src[reg[len(reg)-1][1]:], ",") + 1
	src = src[:end] + line + src[end:]
	at := imp[len(imp)-1][1]
	src = src[:at] + fmt.Sprintf("\n\t%s %q", s.Pkg, modBase+"vendors/"+s.Name+"/fakeapi") + src[at:]
	out, err := format.Source([]byte(src))
	if err != nil {
		return fmt.Errorf("gofmt %s: %w", path, err)
	}
	return os.WriteFile(path, out, 0o644)
}

// addModule makes the module in dir require and replace the vendor's.
func addModule(root, dir, rel, name string) error {
	mod := modBase + "vendors/" + name
	return goCmd(root, dir, "mod", "edit", "-require="+mod+"@v0.0.0", "-replace="+mod+"="+rel)
}

func goCmd(root, dir string, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = filepath.Join(root, dir)
	// `go work use` needs the repository's workspace even when this tool
	// runs with GOWORK=off.
	abs, _ := filepath.Abs(filepath.Join(root, "go.work"))
	cmd.Env = append(os.Environ(), "GOWORK="+abs)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s in %s: %v: %s", strings.Join(args, " "), cmd.Dir, err, out)
	}
	return nil
}
