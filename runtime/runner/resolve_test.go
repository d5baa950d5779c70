package runner

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// hostSettings is a vendor settings struct whose host names the API.
type hostSettings struct {
	Host string `env:"API_HOST" help:"API host."`
}

func resolvingVendor() Vendor {
	return Vendor{
		Name: "acme", EnvPrefix: "ACME_", Settings: &hostSettings{},
		ResolveBaseURL: func(env *Env) string {
			if s, err := SettingsOf[hostSettings](env); err == nil && s.Host != "" {
				return "https://" + s.Host
			}
			return ""
		},
	}
}

func TestResolveBaseURL(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"derived from the settings", map[string]string{"ACME_API_HOST": "api.acme.example"}, "https://api.acme.example", ""},
		{"explicit BASE_URL wins", map[string]string{"ACME_API_HOST": "api.acme.example", "ACME_BASE_URL": "http://127.0.0.1:9"}, "http://127.0.0.1:9", ""},
		{"neither set", map[string]string{}, "", "ACME_BASE_URL: required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"ACME_STATE_DIR": t.TempDir()}
			for k, v := range tc.env {
				env[k] = v
			}
			lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			s, err := loadConfig(resolvingVendor(), IO{Lookup: lookup}, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.cfg.BaseURL != tc.want {
				t.Errorf("base URL %q, want %q", s.cfg.BaseURL, tc.want)
			}
		})
	}
}

func TestResolveBaseURLMetadataNotRequired(t *testing.T) {
	var out bytes.Buffer
	if code := printMetadata(resolvingVendor(), IO{Stdout: &out, Stderr: &out}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	var m metadata
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, s := range m.Settings {
		if s.Env == "ACME_BASE_URL" && s.Required {
			t.Error("BASE_URL marked required though it derives from the settings")
		}
	}
}

func TestSettingsOf(t *testing.T) {
	want := &hostSettings{Host: "h"}
	if got, err := SettingsOf[hostSettings](&Env{Settings: want}); err != nil || got != want {
		t.Fatalf("SettingsOf = %v, %v", got, err)
	}
	for _, s := range []any{nil, hostSettings{}, &struct{}{}, (*hostSettings)(nil)} {
		_, err := SettingsOf[hostSettings](&Env{Settings: s})
		if err == nil || !strings.Contains(err.Error(), "not *runner.hostSettings") {
			t.Errorf("settings %T: error %v", s, err)
		}
	}
}
