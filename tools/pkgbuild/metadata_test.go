package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// sample is the hand-written metadata of testdata/metadata/onepassword.json,
// kept in the tests so the builder never depends on a vendor binary to be tested.
func sample(t *testing.T) *Metadata {
	t.Helper()
	m, err := LoadMetadataFile("testdata/metadata/onepassword.json", "onepassword")
	if err != nil {
		t.Fatalf("sample metadata: %v", err)
	}
	return m
}

func TestParseMetadata(t *testing.T) {
	base := `{"name":"acme","title":"Acme","description":"d","env_prefix":"ACME_",
		"settings":[{"env":"ACME_BASE_URL","default":"https://x","help":"h"},{"env":"ACME_MAX_RUNTIME","default":"%s","help":"h"}],
		"secrets":[{"key":"ACME_TOKEN","help":"h"}],"default_interval":"%s","default_timeout":"%s"}`
	tests := []struct {
		name, vendor, json string
		wantErr            []string // substrings of the error; nil means valid
	}{
		{"valid", "acme", fmt.Sprintf(base, "50s", "2m", "60s"), nil},
		{"go duration interval", "acme", fmt.Sprintf(base, "4m0s", "5m0s", "4m40s"), nil},
		{"unknown fields are accepted", "acme", strings.Replace(fmt.Sprintf(base, "50s", "2m", "60s"), `"title"`, `"future":1,"title"`, 1), nil},
		{"name differs from directory", "other", fmt.Sprintf(base, "50s", "2m", "60s"), []string{`name "acme" does not match the vendor directory cmd/other`}},
		{"timeout not below interval", "acme", fmt.Sprintf(base, "50s", "1m", "60s"), []string{"must be below default_interval"}},
		{"run deadline not below timeout", "acme", fmt.Sprintf(base, "60s", "2m", "60s"), []string{"ACME_MAX_RUNTIME default 1m0s must be below default_timeout"}},
		{"fractional timeout", "acme", fmt.Sprintf(base, "50s", "2m", "60.5s"), []string{"whole number of seconds"}},
		{"bad interval", "acme", fmt.Sprintf(base, "50s", "soon", "60s"), []string{`"soon" is neither a Wazuh interval`}},
		{"setting outside the prefix", "acme", strings.Replace(fmt.Sprintf(base, "50s", "2m", "60s"), "ACME_BASE_URL", "BASE_URL", 1), []string{`settings[0].env "BASE_URL"`}},
		{"bad prefix", "acme", strings.Replace(fmt.Sprintf(base, "50s", "2m", "60s"), `"env_prefix":"ACME_"`, `"env_prefix":"acme"`, 1), []string{`env_prefix "acme"`}},
		{"every problem at once", "acme", `{"name":"acme","env_prefix":"ACME_","default_interval":"2m","default_timeout":"60s"}`, []string{"title is empty", "description is empty"}},
		{"not JSON", "acme", `usage: acme-wodle <command>`, []string{"decode metadata JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMetadata(strings.NewReader(tt.json), tt.vendor)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestWazuhInterval(t *testing.T) {
	tests := []struct {
		in, want string
		timeout  int
	}{
		{"5m", "5m", 0},
		{"5m0s", "5m", 0},
		{"300s", "5m", 0},
		{"90s", "90s", 0},
		{"1m30s", "90s", 0},
		{"1h0m0s", "1h", 0},
		{"2", "2s", 0},
		{"1d", "1d", 0},
	}
	for _, tt := range tests {
		m := &Metadata{DefaultInterval: tt.in}
		if got := m.WazuhInterval(); got != tt.want {
			t.Errorf("WazuhInterval(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := (&Metadata{DefaultTimeout: "4m40s"}).TimeoutSeconds(); got != 280 {
		t.Errorf("TimeoutSeconds(4m40s) = %d, want 280", got)
	}
	if d, err := ParseWazuhInterval("2w"); err != nil || d != 14*24*time.Hour {
		t.Errorf("ParseWazuhInterval(2w) = %v, %v", d, err)
	}
}

func TestSampleMetadata(t *testing.T) {
	m := sample(t)
	if m.EnvPrefix != "OP_" || len(m.Secrets) != 1 || m.TimeoutSeconds() != 280 || m.WazuhInterval() != "5m" {
		t.Errorf("sample metadata read as %+v", m)
	}
}
