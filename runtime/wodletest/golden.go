package wodletest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

// Normaliser rewrites the parts of output that legitimately change from
// run to run. Each has a name so a golden diff says what was ignored.
type Normaliser struct {
	Name string
	re   *regexp.Regexp
	repl string
}

// Apply rewrites b.
func (n Normaliser) Apply(b []byte) []byte { return n.re.ReplaceAll(b, []byte(n.repl)) }

// NewNormaliser replaces matches of the regular expression with repl.
func NewNormaliser(name, expr, repl string) Normaliser {
	return Normaliser{Name: name, re: regexp.MustCompile(expr), repl: repl}
}

// Standard normalisers for runtime events.
var (
	// Durations and waits of run summaries depend on the machine.
	Durations = NewNormaliser("durations", `"(duration_seconds|wait_seconds)":[0-9.]+`, `"$1":0`)
	// Version depends on the build.
	Version = NewNormaliser("version", `"version":"[^"]*"`, `"version":"X"`)
	// Since is the lookback start, relative to now.
	Since = NewNormaliser("since", `"since":"[^"]*"`, `"since":"X"`)
)

// Golden compares got with testdata/golden/<name>; with -update it writes
// the file instead. Normalisers are applied to got before comparing.
func Golden(t testing.TB, name string, got []byte, norms ...Normaliser) {
	t.Helper()
	for _, n := range norms {
		got = n.Apply(got)
	}
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run the test with -update to create it)", path, err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w []byte
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if !bytes.Equal(g, w) {
				t.Fatalf("golden %s differs at line %d (normalised: %v):\n got: %.300s\nwant: %.300s\n(run with -update if the change is intended)", path, i+1, names(norms), g, w)
			}
		}
	}
}

func names(ns []Normaliser) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Name)
	}
	return out
}
