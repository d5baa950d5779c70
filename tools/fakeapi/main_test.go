package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitFile polls for a file the server writes once it listens.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b))
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", path)
	return ""
}

func post(t *testing.T, url, token, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

func TestRunServesAndStops(t *testing.T) {
	dir := t.TempDir()
	tokenFile, addrFile, secretsFile := filepath.Join(dir, "token"), filepath.Join(dir, "addr"), filepath.Join(dir, "secrets.env")
	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-vendor", "onepassword", "-token-file", tokenFile, "-addr-file", addrFile,
			"-secrets-file", secretsFile, "-events", "30", "-append-every", "20ms", "-append-count", "2"}, &stderr)
	}()
	base := waitFile(t, addrFile)
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("addr file holds %q", base)
	}
	token := waitFile(t, tokenFile)
	if fi, err := os.Stat(tokenFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v, %v", fi.Mode(), err)
	}
	// The secrets file hands the wodle the same token, under its secret key.
	if b, err := os.ReadFile(secretsFile); err != nil || string(b) != "OP_EVENTS_TOKEN="+token+"\n" {
		t.Fatalf("secrets file = %q, %v", b, err)
	}
	if fi, err := os.Stat(secretsFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secrets file mode %v, %v", fi.Mode(), err)
	}
	status, body := post(t, base+"/api/v2/auditevents", token, `{"limit":1000,"start_time":"2000-01-01T00:00:00Z"}`)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var p struct{ Items []json.RawMessage }
	_ = json.Unmarshal(body, &p)
	if len(p.Items) < 30 {
		t.Fatalf("got %d items, want the 30 of the backlog at least", len(p.Items))
	}
	// -append-every grows the backlog while the server runs.
	time.Sleep(100 * time.Millisecond)
	_, body = post(t, base+"/api/v2/auditevents", token, `{"limit":1000,"start_time":"2000-01-01T00:00:00Z"}`)
	_ = json.Unmarshal(body, &p)
	if len(p.Items) <= 30 {
		t.Fatalf("no events appended: %d", len(p.Items))
	}
	if status, _ := post(t, base+"/api/v2/auditevents", "wrong", `{}`); status != http.StatusUnauthorized {
		t.Fatalf("wrong token: status %d", status)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 || stderr.Len() != 0 {
			t.Fatalf("exit %d, stderr %q", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
}

func TestRunBadUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no vendor", []string{"-token-file", filepath.Join(dir, "t")}, 2},
		{"unknown vendor", []string{"-vendor", "acme", "-token-file", filepath.Join(dir, "t")}, 2},
		{"no token file", []string{"-vendor", "onepassword"}, 2},
		{"negative events", []string{"-vendor", "onepassword", "-token-file", filepath.Join(dir, "t"), "-events", "-1"}, 2},
		{"unknown flag", []string{"-bogus"}, 2},
		{"stray argument", []string{"-vendor", "onepassword", "-token-file", filepath.Join(dir, "t"), "extra"}, 2},
		{"bad listen", []string{"-vendor", "onepassword", "-token-file", filepath.Join(dir, "t"), "-listen", "256.0.0.1:-1"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(context.Background(), tt.args, &stderr); code != tt.code {
				t.Fatalf("exit %d, want %d (%s)", code, tt.code, stderr.String())
			}
		})
	}
}

func TestExistingTokenFileIsUsed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("  my-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tok, err := loadToken(path); err != nil || tok != "my-token" {
		t.Fatalf("loadToken = %q, %v", tok, err)
	}
	if err := os.WriteFile(path, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadToken(path); err == nil {
		t.Fatal("empty token file accepted")
	}
}

// TestProcessSIGTERM runs the real binary: nothing on stdout, exit 0 on SIGTERM.
func TestProcessSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "fakeapi")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addrFile := filepath.Join(dir, "addr")
	cmd := exec.Command(bin, "-vendor", "onepassword", "-listen", "127.0.0.1:0",
		"-token-file", filepath.Join(dir, "token"), "-events", "2500", "-addr-file", addrFile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFile(t, addrFile)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v, stderr %q", err, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Fatalf("stdout not empty: %q", stdout.String())
	}
}
