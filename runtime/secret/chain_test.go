package secret

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestChainOrderAndTiers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "secrets.env")
	writeFile(t, file, "ALL=file\nFILE_CRED=file\nFILE_ONLY=file\nENV_EMPTY=file\n", 0o600)
	cred := filepath.Join(dir, "creds")
	if err := os.Mkdir(cred, 0o700); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"ALL": "cred\n", "FILE_CRED": "cred\n", "CRED_ONLY": "line1\nline2\n\n", "CRED_CRLF": "v\r\n"} {
		writeFile(t, filepath.Join(cred, k), v, 0o600)
	}
	c := Chain{
		Lookup:         env(map[string]string{"ALL": "env", "ENV_ONLY": "env", "ENV_EMPTY": ""}),
		File:           file,
		CredentialsDir: cred,
	}
	bag, warns, err := c.Load([]KeySpec{
		{Key: "ALL"}, {Key: "ENV_ONLY"}, {Key: "FILE_CRED"}, {Key: "FILE_ONLY"}, {Key: "CRED_ONLY"},
		{Key: "CRED_CRLF"}, {Key: "ENV_EMPTY"}, {Key: "ABSENT", Optional: true},
	})
	if err != nil || len(warns) != 0 {
		t.Fatal(err, warns)
	}
	want := map[string]struct {
		v    string
		tier Tier
	}{
		"ALL":       {"env", TierEnvironment},
		"ENV_ONLY":  {"env", TierEnvironment},
		"FILE_CRED": {"file", TierFile},
		"FILE_ONLY": {"file", TierFile},
		"CRED_ONLY": {"line1\nline2\n", TierCredentials},
		"CRED_CRLF": {"v", TierCredentials},
		"ENV_EMPTY": {"file", TierFile},
	}
	for k, w := range want {
		s, ok := bag.Get(k)
		if !ok || s.Reveal() != w.v || bag.Tier(k) != w.tier {
			t.Errorf("%s: got %q/%v tier %q, want %q tier %q", k, s.Reveal(), ok, bag.Tier(k), w.v, w.tier)
		}
	}
	if _, ok := bag.Get("ABSENT"); ok || bag.Tier("ABSENT") != "" {
		t.Error("optional absent key present")
	}
	if got := strings.Join(bag.Keys(), ","); got != "ALL,CRED_CRLF,CRED_ONLY,ENV_EMPTY,ENV_ONLY,FILE_CRED,FILE_ONLY" {
		t.Errorf("Keys = %s", got)
	}
}

func TestChainMissingReportsEveryKeyAndPlace(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s.env")
	writeFile(t, file, "OTHER=topsecretvalue\n", 0o600)
	c := Chain{Lookup: env(nil), File: file, CredentialsDir: dir}
	_, _, err := c.Load([]KeySpec{{Key: "A"}, {Key: "B"}, {Key: "bad-key"}, {Key: "C", Optional: true}})
	if err == nil {
		t.Fatal("want error")
	}
	msg := err.Error()
	for _, want := range []string{
		"secret A is required but not set (looked in environment variable A, secrets file " + file + ", credentials file " + filepath.Join(dir, "A") + ")",
		"secret B is required",
		`secret key "bad-key" is not a valid name`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "topsecretvalue") || strings.Contains(msg, "secret C") {
		t.Errorf("bad error: %s", msg)
	}

	_, _, err = Chain{}.Load([]KeySpec{{Key: "A"}})
	if err == nil || !strings.Contains(err.Error(), "no source is configured") {
		t.Errorf("no sources: %v", err)
	}
}

func TestChainSecretsFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.env")
	_, _, err := Chain{File: missing, Lookup: env(map[string]string{"A": "x"})}.Load([]KeySpec{{Key: "A"}})
	if err == nil || !strings.Contains(err.Error(), "secrets file "+missing) {
		t.Fatalf("missing configured file: %v", err)
	}

	bad := filepath.Join(dir, "bad.env")
	writeFile(t, bad, "A=1\nB='leakyvalue\n", 0o600)
	_, _, err = Chain{File: bad}.Load([]KeySpec{{Key: "A"}})
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), "leakyvalue") {
		t.Fatalf("malformed file: %v", err)
	}

	if os.Geteuid() != 0 {
		unreadable := filepath.Join(dir, "unreadable.env")
		writeFile(t, unreadable, "A=1\n", 0o000)
		_, _, err = Chain{File: unreadable}.Load([]KeySpec{{Key: "A"}})
		if err == nil || !strings.Contains(err.Error(), unreadable) {
			t.Fatalf("unreadable: %v", err)
		}
	}
}

func TestChainUnreadableCredential(t *testing.T) {
	dir := t.TempDir()
	// A directory where the file should be: exists but cannot be read as a file, even as root.
	if err := os.Mkdir(filepath.Join(dir, "TOKEN"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, _, err := Chain{CredentialsDir: dir}.Load([]KeySpec{{Key: "TOKEN"}})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "TOKEN")) {
		t.Fatalf("want error naming the credential path, got %v", err)
	}
}

func TestChainPermissionWarnings(t *testing.T) {
	tests := []struct {
		mode os.FileMode
		warn string // "" = none
	}{
		{0o600, ""},
		{0o640, ""},
		{0o400, ""},
		{0o644, "readable by other users"},
		{0o604, "readable by other users"},
		{0o660, "writable by its group"},
		{0o622, "writable by anyone"},
		{0o666, "writable by anyone"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		file := filepath.Join(dir, "s.env")
		writeFile(t, file, "A=1\n", tt.mode)
		bag, warns, err := Chain{File: file}.Load([]KeySpec{{Key: "A"}})
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := bag.Get("A"); s.Reveal() != "1" {
			t.Fatalf("mode %o: value not loaded", tt.mode)
		}
		if tt.warn == "" {
			if len(warns) != 0 {
				t.Errorf("mode %04o: unexpected warnings %q", tt.mode, warns)
			}
			continue
		}
		if len(warns) != 1 {
			t.Fatalf("mode %04o: warnings %q", tt.mode, warns)
		}
		w := warns[0]
		for _, want := range []string{tt.warn, file, fmt.Sprintf("mode %04o", tt.mode), "chmod 0640 " + file, "chmod 0600"} {
			if !strings.Contains(w, want) {
				t.Errorf("mode %04o: warning %q lacks %q", tt.mode, w, want)
			}
		}
	}
}
