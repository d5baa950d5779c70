// Command acme is a stand-in vendor binary for pkgbuild's tests: a vendor that
// exists only here proves that a new vendor gets its packages without new
// packaging code. It implements the commands the packaging relies on
// (metadata, version, check against a fake API, a collection run) with the
// standard library only.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const metadata = `{"name":"acme","title":"Acme Cloud","description":"Collects Acme Cloud audit events (test vendor).","env_prefix":"ACME_","settings":[{"env":"ACME_BASE_URL","default":"https://api.acme.invalid","help":"API base URL.","required":false},{"env":"ACME_MAX_RUNTIME","default":"50s","help":"Run deadline.","required":false},{"env":"ACME_STATE_DIR","default":"","help":"State directory.","required":false},{"env":"ACME_LOG_FILE","default":"","help":"Log file.","required":false},{"env":"ACME_SECRETS_FILE","default":"","help":"Secrets file.","required":false}],"secrets":[{"key":"ACME_API_TOKEN","help":"API token."}],"default_interval":"2m","default_timeout":"60s","docs_url":"https://acme.invalid/docs"}`

const token = "test-token"

func main() {
	cmd := ""
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	switch cmd {
	case "metadata":
		fmt.Println(metadata)
	case "version":
		fmt.Println("acme-wodle test-stub")
	case "check":
		os.Exit(check())
	case "fakeapi":
		fakeAPI(os.Args[2:])
	case "":
		os.Exit(collect())
	default:
		fmt.Fprintln(os.Stderr, "unknown command", cmd)
		os.Exit(2)
	}
}

func secret(key string) string {
	f, err := os.Open(os.Getenv("ACME_SECRETS_FILE"))
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(s.Text()), "="); ok && k == key {
			return strings.Trim(v, `"'`)
		}
	}
	return ""
}

func check() int {
	req, err := http.NewRequest("GET", os.Getenv("ACME_BASE_URL")+"/v1/ping", nil)
	if err != nil {
		fmt.Println("check failed:", err)
		return 1
	}
	req.Header.Set("Authorization", "Bearer "+secret("ACME_API_TOKEN"))
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		fmt.Println("check failed:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Println("check failed: HTTP", resp.StatusCode)
		return 1
	}
	fmt.Printf("check ok: secrets=%s state_dir=%s log_file=%s\n",
		os.Getenv("ACME_SECRETS_FILE"), os.Getenv("ACME_STATE_DIR"), os.Getenv("ACME_LOG_FILE"))
	return 0
}

// fakeAPI mimics tools/fakeapi's interface: it writes the accepted token to
// -token-file, the secrets the wodle needs to -secrets-file (and its other
// settings, none, to -settings-file) and its base URL to -addr-file, then serves /v1/ping until killed (or for two minutes at most).
func fakeAPI(args []string) {
	fl := flag.NewFlagSet("fakeapi", flag.ExitOnError)
	tokenFile := fl.String("token-file", "", "token file")
	addrFile := fl.String("addr-file", "", "base URL file")
	secretsFile := fl.String("secrets-file", "", "secrets file (KEY=VALUE)")
	settingsFile := fl.String("settings-file", "", "settings file (KEY=VALUE)")
	_ = fl.Parse(args)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err == nil {
		err = os.WriteFile(*tokenFile, []byte(token+"\n"), 0o600)
	}
	if err == nil {
		err = os.WriteFile(*secretsFile, []byte("ACME_API_TOKEN="+token+"\n"), 0o600)
	}
	if err == nil && *settingsFile != "" {
		err = os.WriteFile(*settingsFile, nil, 0o644)
	}
	if err == nil {
		err = os.WriteFile(*addrFile, []byte("http://"+ln.Addr().String()+"\n"), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.HandleFunc("/v1/ping", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		fmt.Fprintln(w, `{"ok":true}`)
	})
	go func() { time.Sleep(2 * time.Minute); os.Exit(0) }()
	_ = http.Serve(ln, nil)
}

func collect() int {
	state := filepath.Join(os.Getenv("ACME_STATE_DIR"), "acme.state.json")
	if err := os.WriteFile(state, []byte(`{"version":1}`), 0o600); err != nil {
		fmt.Printf(`{"integration":"acme","acme":{"event_type":"error","error_message":%q}}`+"\n", err.Error())
		return 1
	}
	if f, err := os.OpenFile(os.Getenv("ACME_LOG_FILE"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640); err == nil {
		fmt.Fprintln(f, "collect: ok")
		f.Close()
	}
	fmt.Println(`{"integration":"acme","acme":{"event_type":"run_summary","events":0}}`)
	return 0
}
