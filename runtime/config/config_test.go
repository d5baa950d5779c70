package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
)

func load(t *testing.T, env map[string]string) (*Common, error) {
	t.Helper()
	var c Common
	err := Process(context.Background(), "OP_", envconfig.MapLookuper(env), &c)
	return &c, err
}

var opRules = Rules{
	Vendor:         "onepassword",
	DefaultBaseURL: "https://events.1password.com",
	AllowedHosts:   []string{"events.1password.com", "events.1password.ca", "*.okta.com"},
	MaxLookback:    30 * 24 * time.Hour,
	MaxPageSize:    1000,
}

func TestProcessDefaults(t *testing.T) {
	c, err := load(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Instance != "default" || c.Debug != 0 || c.MaxLineBytes != 60000 || c.MaxFields != 256 ||
		c.MaxRuntime != 240*time.Second || c.LookbackHours != 24 || c.Sink != "stdout" || c.RetryAttempts != 5 {
		t.Errorf("defaults = %+v", c)
	}
	warn, err := c.Finish("OP_", opRules)
	if err != nil || len(warn) != 0 {
		t.Fatalf("Finish on defaults: %v %v", warn, err)
	}
	if c.BaseURL != "https://events.1password.com" || c.Tag != "onepassword" || c.PageSize != 1000 ||
		c.StateFile != "/var/ossec/var/wodles/onepassword/default.state.json" {
		t.Errorf("derived = base %s tag %s page %d state %s", c.BaseURL, c.Tag, c.PageSize, c.StateFile)
	}
}

func TestProcessReportsEveryBadVariable(t *testing.T) {
	_, err := load(t, map[string]string{
		"OP_DEBUG":          "lots",
		"OP_MAX_RUNTIME":    "forever",
		"OP_LOOKBACK_HOURS": "x",
		"OP_MAX_FIELDS":     "100", // fine
	})
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *ParseError", err)
	}
	for _, v := range []string{"OP_DEBUG", "OP_MAX_RUNTIME", "OP_LOOKBACK_HOURS"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error does not name %s: %v", v, err)
		}
		if strings.Count(err.Error(), v+":") != 1 {
			t.Errorf("%s reported %d times: %v", v, strings.Count(err.Error(), v+":"), err)
		}
	}
	if !pe.Fields["DEBUG"] || !pe.Fields["MAX_RUNTIME"] || !pe.Fields["LOOKBACK_HOURS"] || pe.Fields["MAX_FIELDS"] {
		t.Errorf("Fields = %v", pe.Fields)
	}
	if err := Process(context.Background(), "OP_", envconfig.MapLookuper(nil), Common{}); err == nil {
		t.Error("a non-pointer target must fail")
	}
}

func TestFinishValidation(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		bad  []string // variables named in the error, each exactly once
	}{
		{"https allowed host", map[string]string{"OP_BASE_URL": "https://events.1password.ca"}, nil},
		{"wildcard host", map[string]string{"OP_BASE_URL": "https://acme.okta.com"}, nil},
		{"wildcard needs a label", map[string]string{"OP_BASE_URL": "https://okta.com"}, []string{"OP_BASE_URL"}},
		{"wildcard is a suffix match on labels", map[string]string{"OP_BASE_URL": "https://evilokta.com"}, []string{"OP_BASE_URL"}},
		{"unknown host", map[string]string{"OP_BASE_URL": "https://evil.example.com"}, []string{"OP_BASE_URL"}},
		{"plain http refused", map[string]string{"OP_BASE_URL": "http://events.1password.com"}, []string{"OP_BASE_URL"}},
		{"http on loopback", map[string]string{"OP_BASE_URL": "http://127.0.0.1:8080"}, nil},
		{"http on localhost", map[string]string{"OP_BASE_URL": "http://localhost:8080"}, nil},
		{"http on ::1", map[string]string{"OP_BASE_URL": "http://[::1]:8080"}, nil},
		{"credentials in URL", map[string]string{"OP_BASE_URL": "https://u:p@events.1password.com"}, []string{"OP_BASE_URL"}},
		{"query in URL", map[string]string{"OP_BASE_URL": "https://events.1password.com/?x=1"}, []string{"OP_BASE_URL"}},
		{"not a URL", map[string]string{"OP_BASE_URL": "events.1password.com"}, []string{"OP_BASE_URL"}},
		{"ftp", map[string]string{"OP_BASE_URL": "ftp://events.1password.com"}, []string{"OP_BASE_URL"}},
		{"bad instance", map[string]string{"OP_INSTANCE": "../etc"}, []string{"OP_INSTANCE"}},
		{"bad tag", map[string]string{"OP_TAG": "a b"}, []string{"OP_TAG"}},
		{"bad tag and instance", map[string]string{"OP_TAG": "a/b", "OP_INSTANCE": "a/b"}, []string{"OP_TAG", "OP_INSTANCE"}},
		{"instance too long", map[string]string{"OP_INSTANCE": strings.Repeat("a", 65)}, []string{"OP_INSTANCE"}},
		{"debug range", map[string]string{"OP_DEBUG": "4"}, []string{"OP_DEBUG"}},
		{"debug negative", map[string]string{"OP_DEBUG": "-1"}, []string{"OP_DEBUG"}},
		{"line bytes bounds ok", map[string]string{"OP_MAX_LINE_BYTES": "4096", "OP_MAX_FIELDS": "1024"}, nil},
		{"line bytes bounds ok 2", map[string]string{"OP_MAX_LINE_BYTES": "65000", "OP_MAX_FIELDS": "32"}, nil},
		{"line bytes too small", map[string]string{"OP_MAX_LINE_BYTES": "4095"}, []string{"OP_MAX_LINE_BYTES"}},
		{"line bytes too big", map[string]string{"OP_MAX_LINE_BYTES": "65001"}, []string{"OP_MAX_LINE_BYTES"}},
		{"fields too few", map[string]string{"OP_MAX_FIELDS": "31"}, []string{"OP_MAX_FIELDS"}},
		{"fields too many", map[string]string{"OP_MAX_FIELDS": "1025"}, []string{"OP_MAX_FIELDS"}},
		{"retry attempts", map[string]string{"OP_RETRY_ATTEMPTS": "0"}, []string{"OP_RETRY_ATTEMPTS"}},
		{"retry attempts high", map[string]string{"OP_RETRY_ATTEMPTS": "21"}, []string{"OP_RETRY_ATTEMPTS"}},
		{"page size over vendor max", map[string]string{"OP_PAGE_SIZE": "1001"}, []string{"OP_PAGE_SIZE"}},
		{"page size negative", map[string]string{"OP_PAGE_SIZE": "-5"}, []string{"OP_PAGE_SIZE"}},
		{"page size ok", map[string]string{"OP_PAGE_SIZE": "1000"}, nil},
		{"sink", map[string]string{"OP_SINK": "kafka"}, []string{"OP_SINK"}},
		{"commit auto", map[string]string{"OP_COMMIT": "auto"}, nil},
		{"commit immediate", map[string]string{"OP_COMMIT": "immediate"}, nil},
		{"commit next-run", map[string]string{"OP_COMMIT": "next-run"}, nil},
		{"commit unknown", map[string]string{"OP_COMMIT": "later"}, []string{"OP_COMMIT"}},
		{"commit is case sensitive", map[string]string{"OP_COMMIT": "Auto"}, []string{"OP_COMMIT"}},
		{"commit next-run with the queue sink", map[string]string{"OP_COMMIT": "next-run", "OP_SINK": "wazuh-queue"}, []string{"OP_COMMIT"}},
		{"commit immediate with the queue sink", map[string]string{"OP_COMMIT": "immediate", "OP_SINK": "wazuh-queue"}, nil},
		{"byte cap at the stdout limit", map[string]string{"OP_MAX_BYTES_PER_RUN": "66060288"}, nil},
		{"byte cap past the stdout limit", map[string]string{"OP_MAX_BYTES_PER_RUN": "66060289"}, []string{"OP_MAX_BYTES_PER_RUN"}},
		{"no byte cap with stdout", map[string]string{"OP_MAX_BYTES_PER_RUN": "0"}, []string{"OP_MAX_BYTES_PER_RUN"}},
		{"no byte cap with the queue sink", map[string]string{"OP_MAX_BYTES_PER_RUN": "0", "OP_SINK": "wazuh-queue"}, nil},
		{"large byte cap with the queue sink", map[string]string{"OP_MAX_BYTES_PER_RUN": "500000000", "OP_SINK": "wazuh-queue"}, nil},
		{"lookback zero", map[string]string{"OP_LOOKBACK_HOURS": "0"}, []string{"OP_LOOKBACK_HOURS"}},
		{"runtime", map[string]string{"OP_MAX_RUNTIME": "500ms"}, []string{"OP_MAX_RUNTIME"}},
		{"proxy", map[string]string{"OP_PROXY_URL": "proxy:3128"}, []string{"OP_PROXY_URL"}},
		{"ca file missing", map[string]string{"OP_CA_FILE": "/nonexistent/ca.pem"}, []string{"OP_CA_FILE"}},
		{"everything at once", map[string]string{
			"OP_BASE_URL": "http://evil.example.com", "OP_INSTANCE": "", "OP_DEBUG": "7", "OP_MAX_LINE_BYTES": "100",
			"OP_MAX_FIELDS": "5", "OP_RETRY_ATTEMPTS": "99", "OP_PAGE_SIZE": "5000", "OP_QUEUE_EPS": "0",
		}, []string{"OP_BASE_URL", "OP_INSTANCE", "OP_DEBUG", "OP_MAX_LINE_BYTES", "OP_MAX_FIELDS", "OP_RETRY_ATTEMPTS", "OP_PAGE_SIZE", "OP_QUEUE_EPS"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(t, tc.env)
			if err != nil {
				t.Fatalf("Process: %v", err)
			}
			_, err = c.Finish("OP_", opRules)
			if len(tc.bad) == 0 {
				if err != nil {
					t.Fatalf("Finish: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Finish accepted %v", tc.env)
			}
			msg := err.Error()
			if got := strings.Count(msg, "\n") + 1; got != len(tc.bad) {
				t.Errorf("%d problems reported, want %d:\n%s", got, len(tc.bad), msg)
			}
			for _, v := range tc.bad {
				if !strings.Contains(msg, v+":") {
					t.Errorf("error does not name %s:\n%s", v, msg)
				}
			}
			if strings.Contains(msg, "u:p@") || strings.Contains(msg, ":p@") {
				t.Errorf("credentials leaked into the error: %s", msg)
			}
		})
	}
}

func TestFinishSkipsUnparsed(t *testing.T) {
	_, err := load(t, map[string]string{"OP_DEBUG": "x", "OP_MAX_FIELDS": "y", "OP_SINK": "nope"})
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatal(err)
	}
	// What the runner does: decode what it can, then validate, skipping
	// what already failed (the zero values would fail range checks).
	var c Common
	_ = Process(context.Background(), "OP_", envconfig.MapLookuper(map[string]string{"OP_SINK": "nope"}), &c)
	c.Debug, c.MaxFields = 0, 0
	r := opRules
	r.Unparsed = pe.Fields
	_, err = c.Finish("OP_", r)
	if err == nil || strings.Contains(err.Error(), "OP_DEBUG") || strings.Contains(err.Error(), "OP_MAX_FIELDS") || !strings.Contains(err.Error(), "OP_SINK") {
		t.Errorf("Finish = %v; want only OP_SINK", err)
	}
}

func TestFinishLookbackClamp(t *testing.T) {
	c, _ := load(t, map[string]string{"OP_LOOKBACK_HOURS": "2000"})
	warn, err := c.Finish("OP_", opRules)
	if err != nil {
		t.Fatalf("a long lookback is a warning, not an error: %v", err)
	}
	if len(warn) != 1 || !strings.Contains(warn[0], "OP_LOOKBACK_HOURS") || !strings.Contains(warn[0], "720") {
		t.Errorf("warnings = %q", warn)
	}
	if c.LookbackHours != 720 || c.Lookback() != 720*time.Hour {
		t.Errorf("lookback = %v hours", c.LookbackHours)
	}
	c, _ = load(t, map[string]string{"OP_LOOKBACK_HOURS": "1.5"})
	if warn, err := c.Finish("OP_", opRules); err != nil || len(warn) != 0 || c.Lookback() != 90*time.Minute {
		t.Errorf("1.5 hours: %v %v %v", warn, err, c.Lookback())
	}
}

func TestFinishDerived(t *testing.T) {
	tests := []struct {
		env        map[string]string
		tag, state string
	}{
		{map[string]string{"OP_INSTANCE": "prod"}, "onepassword-prod", "/var/ossec/var/wodles/onepassword/prod.state.json"},
		{map[string]string{"OP_INSTANCE": "eu", "OP_STATE_DIR": "/srv/{vendor}/st"}, "onepassword-eu", "/srv/onepassword/st/eu.state.json"},
		{map[string]string{"OP_TAG": "mytag", "OP_STATE_FILE": "/x/y.json"}, "mytag", "/x/y.json"},
	}
	for _, tc := range tests {
		c, err := load(t, tc.env)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Finish("OP_", opRules); err != nil {
			t.Fatal(err)
		}
		if c.Tag != tc.tag || c.StateFile != tc.state {
			t.Errorf("%v: tag %q state %q; want %q %q", tc.env, c.Tag, c.StateFile, tc.tag, tc.state)
		}
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	_ = os.WriteFile(ca, []byte("x"), 0o600)
	c, _ := load(t, map[string]string{"OP_CA_FILE": filepath.Dir(ca)})
	if _, err := c.Finish("OP_", opRules); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("CA_FILE directory: %v", err)
	}
}

func TestHostMatches(t *testing.T) {
	tests := []struct {
		pattern, host string
		want          bool
	}{
		{"*.okta.com", "acme.okta.com", true},
		{"*.okta.com", "a.b.okta.com", true},
		{"*.okta.com", "ACME.Okta.com.", true},
		{"*.okta.com", "okta.com", false},
		{"*.okta.com", "evilokta.com", false},
		{"*.okta.com", "acme.okta.com.evil.net", false},
		{"events.1password.com", "events.1password.com", true},
		{"events.1password.com", "x.events.1password.com", false},
	}
	for _, tc := range tests {
		if got := HostMatches(tc.pattern, tc.host); got != tc.want {
			t.Errorf("HostMatches(%q, %q) = %v, want %v", tc.pattern, tc.host, got, tc.want)
		}
	}
}

func TestSettings(t *testing.T) {
	s := Settings("OKTA_", &Common{})
	byEnv := map[string]Setting{}
	for _, x := range s {
		byEnv[x.Env] = x
		if x.Help == "" {
			t.Errorf("%s has no help", x.Env)
		}
	}
	if n := reflect.TypeFor[Common]().NumField(); len(s) != n {
		t.Errorf("%d settings, want every field of Common (%d)", len(s), n)
	}
	if d := byEnv["OKTA_MAX_LINE_BYTES"]; d.Default != "60000" {
		t.Errorf("OKTA_MAX_LINE_BYTES = %+v", d)
	}
	if d := byEnv["OKTA_BASE_URL"]; d.Default != "" || d.Required {
		t.Errorf("OKTA_BASE_URL = %+v", d)
	}
	type withRequired struct {
		Token string `env:"TOKEN, required" help:"API token."`
		skip  string
	}
	_ = withRequired{}.skip
	if got := Settings("X_", withRequired{}); len(got) != 1 || !got[0].Required || got[0].Env != "X_TOKEN" {
		t.Errorf("Settings(required) = %+v", got)
	}
}
