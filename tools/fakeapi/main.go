// Command fakeapi serves one vendor's fake API on loopback for the demo and
// the benchmarks. It writes nothing to stdout: the demo reads the listen URL
// from -addr-file and the bearer token from -token-file, and stops the server
// with SIGTERM or SIGINT.
//
//	fakeapi -vendor onepassword -listen 127.0.0.1:0 -token-file tok -addr-file addr -events 2500
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
	duo "github.com/wodlekit/wodlekit/vendors/duo/fakeapi"
	googleworkspace "github.com/wodlekit/wodlekit/vendors/google_workspace/fakeapi"
	mimecast "github.com/wodlekit/wodlekit/vendors/mimecast/fakeapi"
	okta "github.com/wodlekit/wodlekit/vendors/okta/fakeapi"
	onepassword "github.com/wodlekit/wodlekit/vendors/onepassword/fakeapi"
	proofpointtap "github.com/wodlekit/wodlekit/vendors/proofpoint_tap/fakeapi"
	slack "github.com/wodlekit/wodlekit/vendors/slack/fakeapi"
)

// vendors maps a vendor name (as in cmd/<vendor>) to its fake: adding a
// vendor is one line here (and its module in go.mod).
func vendors() map[string]fakekit.DemoFunc {
	return map[string]fakekit.DemoFunc{
		"duo":              duo.Demo,
		"okta":             okta.Demo,
		"onepassword":      onepassword.Demo,
		"proofpoint_tap":   proofpointtap.Demo,
		"slack":            slack.Demo,
		"mimecast":         mimecast.Demo,
		"google_workspace": googleworkspace.Demo,
	}
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stderr))
}

// run is main without the process exit, so tests can drive it.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	fl := flag.NewFlagSet("fakeapi", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var (
		vendor       = fl.String("vendor", "", "vendor whose API to fake: "+strings.Join(names(), ", "))
		listen       = fl.String("listen", "127.0.0.1:0", "listen address (port 0 picks a free port)")
		tokenFile    = fl.String("token-file", "", "file holding the accepted token; created with a random token when missing")
		addrFile     = fl.String("addr-file", "", "file to write the base URL to once listening")
		secretsFile  = fl.String("secrets-file", "", "file to write the vendor's secrets (KEY=VALUE, mode 0600) the fake accepts")
		settingsFile = fl.String("settings-file", "", "file to write the vendor settings (KEY=VALUE) the fake needs besides its URL; empty when none")
		events       = fl.Int("events", 2500, "initial backlog per stream")
		seed         = fl.Int64("seed", 1, "seed for the generated events")
		span         = fl.Duration("span", 50*time.Minute, "time the backlog covers, ending now")
		appendEvery  = fl.Duration("append-every", 0, "add new events at this interval (0: never)")
		appendCount  = fl.Int("append-count", 10, "events per stream added at each -append-every tick")
	)
	if err := fl.Parse(args); err != nil {
		return 2
	}
	ctor, ok := vendors()[*vendor]
	if !ok || fl.NArg() != 0 || *tokenFile == "" || *events < 0 || *span < 0 || *appendEvery < 0 || *appendCount < 0 {
		fmt.Fprintf(stderr, "fakeapi: need -vendor (one of %s), -token-file, and non-negative counts and durations\n", strings.Join(names(), ", "))
		return 2
	}
	token, err := loadToken(*tokenFile)
	if err != nil {
		fmt.Fprintln(stderr, "fakeapi:", err)
		return 1
	}
	// Listen first: a fake whose credentials name one of its endpoints
	// (Google's key, its token endpoint) needs its URL.
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "fakeapi:", err)
		return 1
	}
	defer func() { _ = ln.Close() }()
	fake := ctor(fakekit.DemoConfig{Token: token, Events: *events, Seed: *seed, Start: time.Now().Add(-*span).UTC(), Span: *span, URL: "http://" + ln.Addr().String()})

	for _, f := range []struct {
		path string
		kv   map[string]string
		mode os.FileMode
	}{{*secretsFile, fake.Secrets, 0o600}, {*settingsFile, fake.Settings, 0o644}} {
		if f.path == "" {
			continue
		}
		if err := writeAtomic(f.path, keyValues(f.kv), f.mode); err != nil {
			fmt.Fprintln(stderr, "fakeapi:", err)
			return 1
		}
	}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if *addrFile != "" {
		if err := writeAtomic(*addrFile, "http://"+ln.Addr().String()+"\n", 0o644); err != nil {
			fmt.Fprintln(stderr, "fakeapi:", err)
			_ = srv.Close()
			return 1
		}
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	var tick <-chan time.Time
	if *appendEvery > 0 {
		t := time.NewTicker(*appendEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-tick:
			fake.Append(*appendCount)
		case err := <-served:
			fmt.Fprintln(stderr, "fakeapi:", err)
			return 1
		case <-ctx.Done():
			shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(shut); err != nil {
				fmt.Fprintln(stderr, "fakeapi: shutdown:", err)
				return 1
			}
			return 0
		}
	}
}

// keyValues is kv as KEY=VALUE lines, sorted.
func keyValues(kv map[string]string) string {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, kv[k])
	}
	return b.String()
}

func names() []string {
	var n []string
	for k := range vendors() {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

// loadToken reads the token file, or creates it with a fresh random token so
// the demo needs no secret of its own.
func loadToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", fmt.Errorf("token file %s is empty", path)
		}
		return tok, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	raw := make([]byte, 24)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails on supported platforms
	tok := "fake-" + hex.EncodeToString(raw)
	if err := writeAtomic(path, tok+"\n", 0o600); err != nil {
		return "", err
	}
	return tok, nil
}

// writeAtomic writes through a temporary file and a rename so that a reader
// polling for the file never sees it half-written.
func writeAtomic(path, content string, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".fakeapi-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
