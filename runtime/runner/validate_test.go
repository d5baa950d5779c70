package runner

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

func validVendor() Vendor {
	return Vendor{
		Name: "acme", Title: "Acme", Description: "events from Acme", EnvPrefix: "ACME_",
		MaxLookback: time.Hour, MaxPageSize: 10,
		Secrets:  []SecretSpec{{Key: "ACME_TOKEN", Help: "the API token"}},
		Settings: &hostSettings{},
		Modules:  func(*Env) ([]Module, error) { return nil, nil },
	}
}

func TestVendorValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(v *Vendor)
		want   string
	}{
		{"valid", func(*Vendor) {}, ""},
		{"forbidden word", func(v *Vendor) { v.Name = "github_audit" }, `contains "github"`},
		{"another forbidden word", func(v *Vendor) { v.Name = "myaws" }, `contains "aws"`},
		{"bad name", func(v *Vendor) { v.Name = "Acme-Corp" }, "lower-case"},
		{"empty name", func(v *Vendor) { v.Name = "" }, "Name"},
		{"empty title", func(v *Vendor) { v.Title = " " }, "Title is empty"},
		{"empty description", func(v *Vendor) { v.Description = "" }, "Description is empty"},
		{"prefix without _", func(v *Vendor) { v.EnvPrefix = "ACME" }, "EnvPrefix"},
		{"no modules", func(v *Vendor) { v.Modules = nil }, "Modules is nil"},
		{"negative lookback", func(v *Vendor) { v.MaxLookback = -time.Hour }, "MaxLookback"},
		{"no page size", func(v *Vendor) { v.MaxPageSize = 0 }, "MaxPageSize"},
		{"duplicate secret", func(v *Vendor) { v.Secrets = append(v.Secrets, v.Secrets[0]) }, "declared twice"},
		{"secret outside the prefix", func(v *Vendor) { v.Secrets = []SecretSpec{{Key: "TOKEN", Help: "x"}} }, "does not start with EnvPrefix"},
		{"secret without help", func(v *Vendor) { v.Secrets[0].Help = "" }, "has no Help"},
		{"settings not a pointer", func(v *Vendor) { v.Settings = hostSettings{} }, "want a pointer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := validVendor()
			tt.change(&v)
			err := v.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
	// Every mistake is reported at once.
	v := validVendor()
	v.Title, v.Description = "", ""
	if err := v.Validate(); err == nil || !strings.Contains(err.Error(), "Title") || !strings.Contains(err.Error(), "Description") {
		t.Fatalf("error %v, want both fields named", err)
	}
}

// Modules with hooks of the right and the wrong shapes.
type plainModule struct{ name string }

func (m plainModule) Name() string { return m.name }
func (m plainModule) Fetch(context.Context, PageRequest) (*Page, error) {
	return &Page{}, nil
}

type goodHooks struct{ plainModule }

func (goodHooks) Check(context.Context) (string, error) { return "ok", nil }
func (goodHooks) Prepare(context.Context) error         { return nil }

type checkWithoutContext struct{ plainModule }

func (checkWithoutContext) Check() (string, error) { return "ok", nil }

type prepareReturnsBool struct{ plainModule }

func (prepareReturnsBool) Prepare(context.Context) bool { return true }

var (
	_ Checker  = goodHooks{}
	_ Preparer = goodHooks{}
)

func TestValidateModules(t *testing.T) {
	tests := []struct {
		name    string
		modules []Module
		want    string
	}{
		{"plain and good hooks", []Module{plainModule{"a"}, goodHooks{plainModule{"b"}}}, ""},
		{"duplicate name", []Module{plainModule{"a"}, plainModule{"a"}}, `"a" is used twice`},
		{"bad name", []Module{plainModule{"Audit Log"}}, "lower-case"},
		{"nil module", []Module{nil}, "module 0 is nil"},
		{"Check with a wrong signature", []Module{checkWithoutContext{plainModule{"a"}}}, "has a method Check of type func(runner.checkWithoutContext) (string, error), but the runner calls Check(ctx context.Context) (string, error)"},
		{"Prepare with a wrong signature", []Module{prepareReturnsBool{plainModule{"a"}}}, "but the runner calls Prepare(ctx context.Context) error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateModules(tt.modules)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestRunRefusesABadDeclaration: every command, even version, stops at
// start-up with the reason.
func TestRunRefusesABadDeclaration(t *testing.T) {
	v := validVendor()
	v.Name = "virustotal_feed"
	var out, errb bytes.Buffer
	code := Run(v, IO{Args: []string{"version"}, Stdout: &out, Stderr: &errb, Lookup: func(string) (string, bool) { return "", false }})
	if code != ExitFailed || out.Len() != 0 || !strings.Contains(errb.String(), `contains "virustotal"`) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

// TestCheckRefusesAWrongHook: a module whose Check would be skipped makes
// check fail with the reason instead of saying "nothing to check".
func TestCheckRefusesAWrongHook(t *testing.T) {
	v := validVendor()
	v.Modules = func(*Env) ([]Module, error) { return []Module{checkWithoutContext{plainModule{"events"}}}, nil }
	var out bytes.Buffer
	env := map[string]string{"ACME_BASE_URL": "http://127.0.0.1:9", "ACME_STATE_DIR": t.TempDir(), "ACME_TOKEN": "t0ken-value"}
	lookup := func(k string) (string, bool) { s, ok := env[k]; return s, ok }
	code := Run(v, IO{Args: []string{"check"}, Stdout: &out, Stderr: &out, Lookup: lookup})
	if code == ExitOK || !strings.Contains(out.String(), "has a method Check") {
		t.Fatalf("exit %d: %s", code, out.String())
	}
}

// Run skips kong when there are no arguments (how wazuh-modulesd starts
// the binary): kong must read no arguments as the default command with
// every flag unset, or the two ways would differ.
func TestNoArgumentsAreTheDefaultRun(t *testing.T) {
	var c cli
	parser, err := newParser(validVendor(), IO{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}, &c)
	if err != nil {
		t.Fatal(err)
	}
	kctx, err := parser.Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := kctx.Command(); got != "run" {
		t.Errorf("no arguments: command %q, want run", got)
	}
	if !reflect.DeepEqual(c.Run, runFlags{}) {
		t.Errorf("no arguments: flags %+v, want all unset (runCollect gets runFlags{} without kong)", c.Run)
	}
}
