package main

// skeletonFiles are the files `new` writes, by path (NAME is the vendor's
// name); templates use [[ ]] so that Go and XML braces stay as they are.
// The collector's Fetch is left unwritten on purpose: the skeleton passes
// `check` and fails the conformance suite until the vendor is filled in.
var skeletonFiles = map[string]string{
	"vendors/NAME/go.mod": `module github.com/wodlekit/wodlekit/vendors/[[.Name]]

go 1.26.0

require github.com/wodlekit/wodlekit/runtime v0.0.0

replace github.com/wodlekit/wodlekit/runtime => ../../runtime
`,
	"vendors/NAME/NAME.go": `// Package [[.Pkg]] collects TODO from [[.Title]].
package [[.Pkg]]

import (
	"context"
	"errors"
	"time"

	"github.com/wodlekit/wodlekit/runtime/auth"
	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// TokenKey is the secret holding the API token.
const TokenKey = "[[.Prefix]]TOKEN"

// New declares the vendor to the runner.
func New() runner.Vendor {
	return runner.Vendor{
		Name:           "[[.Name]]",
		Title:          "[[.Title]]",
		Description:    "TODO: what it collects, in one sentence",
		EnvPrefix:      "[[.Prefix]]",
		DefaultBaseURL: "https://api.example.com", // TODO: the vendor's API
		MaxLookback:    7 * 24 * time.Hour,        // TODO: the vendor's retention
		MaxPageSize:    100,
		Secrets: []runner.SecretSpec{{Key: TokenKey,
			Help: "TODO: where the admin creates the token, and its scope."}},
		Auth: func(env *runner.Env) (httpx.Authenticator, error) {
			tok, _ := env.Secrets.Get(TokenKey)
			return auth.Bearer(tok), nil
		},
		Modules: func(env *runner.Env) ([]runner.Module, error) {
			return []runner.Module{&events{env: env}}, nil
		},
	}
}

// events is the vendor's module until the real ones are written.
type events struct{ env *runner.Env }

// Name is the module's stable name.
func (m *events) Name() string { return "events" }

// Fetch reads one page. TODO: request the page with runner.FetchPage,
// return its records with their IDs and the cursor that resumes after it.
func (m *events) Fetch(context.Context, runner.PageRequest) (*runner.Page, error) {
	return nil, errors.New("[[.Name]]: Fetch is not written yet (vendors/[[.Name]]/[[.Name]].go)")
}

var _ runner.Module = (*events)(nil)
`,
	"vendors/NAME/fakeapi/fakeapi.go": `// Package fakeapi is a fake of the [[.Title]] API for tests and the demo,
// on runtime/wodletest/fakekit. TODO: the vendor's real paths, paging,
// errors and record shapes (see its reference file).
package fakeapi

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

// Module is the one module the fake serves; Path its endpoint.
const (
	Module = "events"
	Path   = "/v1/events"
)

// Options configures a fake.
type Options struct {
	// Token is the accepted bearer token.
	Token string
	// Events is the initial backlog; Start and Span place it in time.
	Events int
	Start  time.Time
	Span   time.Duration
	// Seed makes the generated events deterministic.
	Seed int64
	// Now is the fake's clock; nil means time.Now.
	Now func() time.Time
}

// API is the fake; it is safe for concurrent use.
type API struct {
	fakekit.RequestLog
	o       Options
	mu      sync.Mutex
	gen     *fakekit.Gen
	backlog fakekit.Backlog
}

var _ fakekit.Fake = (*API)(nil)

// New builds a fake with its initial backlog.
func New(o Options) *API {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Start.IsZero() {
		o.Start = o.Now().Add(-time.Hour)
	}
	a := &API{o: o, gen: fakekit.NewGen(uint64(o.Seed), 1)}
	for i := range o.Events {
		a.add(o.Start.Add(o.Span * time.Duration(i) / time.Duration(max(o.Events, 1))))
	}
	return a
}

// add generates one event at ts.
func (a *API) add(ts time.Time) {
	id := a.gen.UUID()
	raw := fakekit.Object("id", id, "time", ts.UTC().Format(time.RFC3339Nano),
		"action", fakekit.Pick(a.gen, []string{"login", "logout", "update"}))
	a.backlog.Add(fakekit.Entry{At: ts, Key: id, Raw: raw})
}

// Append adds n new events, as if they had just happened.
func (a *API) Append(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for range n {
		a.add(a.o.Now())
	}
}

// AppendRaw adds one record as given.
func (a *API) AppendRaw(module string, raw []byte) {
	if module != Module {
		panic("fakeapi: unknown module " + module)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.backlog.Add(fakekit.Entry{At: a.o.Now(), Raw: bytes.Clone(raw)})
}

func (a *API) sample(seed uint64) []byte {
	return fakekit.Object("id", fakekit.NewGen(seed, seed).UUID(), "time", "2026-03-01T00:00:00Z", "action", "update", "details", map[string]any{})
}

// BigRecord is a valid record whose details.note makes it about size bytes.
func (a *API) BigRecord(size int) []byte { return fakekit.BigRecord(a.sample(1), "details.note", size) }

// WideRecord is a valid record with about n leaf fields under details.
func (a *API) WideRecord(n int) []byte { return fakekit.WideRecord(a.sample(2), "details", n) }

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.Record(w, r, a.o.Now(), a.serve)
}

// serve answers GET Path?since=RFC3339&cursor=N&limit=N with
// {"events":[...],"next_cursor":"N"} ("" when caught up).
func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != Path {
		fail(w, http.StatusNotFound, "not_found")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+a.o.Token || a.o.Token == "" {
		fail(w, http.StatusUnauthorized, "invalid_auth")
		return
	}
	q := r.URL.Query()
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit < 1 || limit > 1000 {
		limit = 100
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	from := 0
	if c := q.Get("cursor"); c != "" {
		if from, err = strconv.Atoi(c); err != nil || from < 0 || from > a.backlog.Len() {
			fail(w, http.StatusBadRequest, "invalid_cursor")
			return
		}
	} else if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			fail(w, http.StatusBadRequest, "invalid_since")
			return
		}
		from = a.backlog.Search(t)
	}
	to := min(from+limit, a.backlog.Len())
	var b bytes.Buffer
	b.WriteString("{\"events\":[")
	for i, e := range a.backlog.Entries(from, to) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(e.Raw)
	}
	next := ""
	if to < a.backlog.Len() {
		next = strconv.Itoa(to)
	}
	b.WriteString("],\"next_cursor\":" + strconv.Quote(next) + "}")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b.Bytes())
}

// fail answers an error the way the API does. TODO: the vendor's shape.
func fail(w http.ResponseWriter, status int, code string) {
	fakekit.WriteJSON(w, status, map[string]string{"error": code})
}

// Demo is the fake tools/fakeapi serves.
func Demo(c fakekit.DemoConfig) fakekit.Demo {
	api := New(Options{Token: c.Token, Events: c.Events, Seed: c.Seed, Start: c.Start, Span: c.Span})
	return fakekit.Demo{Fake: api, Secrets: map[string]string{"[[.Prefix]]TOKEN": c.Token}}
}
`,
	"vendors/NAME/conformance_test.go": `package [[.Pkg]]_test

import (
	"os"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/[[.Name]]"
	"github.com/wodlekit/wodlekit/vendors/[[.Name]]/fakeapi"
)

func TestMain(m *testing.M) { wodletest.Main(m, [[.Pkg]].New) }

const testToken = "[[.Name]]-test-token-Zm9vYmFyYmF6"

func newFake(_ testing.TB, perModule int) wodletest.Fake {
	return fakeapi.New(fakeapi.Options{Token: testToken, Events: perModule, Seed: 1,
		Start: time.Now().Add(-48 * time.Hour), Span: 24 * time.Hour})
}

func harness() wodletest.Harness {
	return wodletest.Harness{
		Vendor:    [[.Pkg]].New,
		NewFake:   newFake,
		Secrets:   map[string]string{[[.Pkg]].TokenKey: testToken},
		PageSize:  10,
		IDField:   "id",
		Module:    fakeapi.Module,
		FaultPath: fakeapi.Path,
		Exec:      []string{os.Args[0], "-test.run=^$"},
	}
}

func TestConformance(t *testing.T) { wodletest.Conformance(t, harness()) }
`,
	"vendors/NAME/golden_test.go": `package [[.Pkg]]_test

import (
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/[[.Name]]"
	"github.com/wodlekit/wodlekit/vendors/[[.Name]]/fakeapi"
)

// TestGolden pins the emitted lines; rules/[[.Name]]/tests are built from
// testdata/golden/events.jsonl (write it with go test -run Golden -update).
func TestGolden(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return start.Add(12 * time.Hour) }
	api := fakeapi.New(fakeapi.Options{Token: testToken, Events: 12, Seed: 7, Start: start, Span: 6 * time.Hour, Now: now})
	srv := httptest.NewServer(api)
	defer srv.Close()
	dir := t.TempDir()
	env := wodletest.Env{
		"[[.Prefix]]BASE_URL": srv.URL, "[[.Prefix]]STATE_DIR": dir, "[[.Prefix]]LOG_FILE": filepath.Join(dir, "log"),
		[[.Pkg]].TokenKey: testToken, "[[.Prefix]]LOOKBACK_HOURS": "24",
	}
	res := wodletest.RunAt(t, [[.Pkg]].New(), env, now)
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if errs := wodletest.Errors(wodletest.ParseLines(t, "[[.Name]]", res.Stdout)); len(errs) != 0 {
		t.Fatalf("error events: %v", errs)
	}
	wodletest.Golden(t, "events.jsonl", res.Stdout, wodletest.Durations, wodletest.Version, wodletest.Since)
}
`,
	"vendors/NAME/testdata/golden/events.jsonl": ``,
	"vendors/NAME/CHANGELOG.md": `# Changelog: [[.Title]] wodle

All notable changes to this wodle and its package, in the [Keep a Changelog](https://keepachangelog.com/en/1.1.0/)
format; versions follow [Semantic Versioning](https://semver.org/). A release is the tag ` + "`[[.Name]]/vX.Y.Z`" + `:
move the ` + "`[Unreleased]`" + ` items under ` + "`## [X.Y.Z] - YYYY-MM-DD`" + ` in the commit you tag.

## [Unreleased]

### Added
- The [[.Title]] wodle: TODO what it collects.
`,
	"vendors/NAME/README.md": `# [[.Title]] for Wazuh ([[.Name]]-wodle)

TODO: what it collects, from which API, one line per event:

    {"integration":"[[.Name]]","[[.Name]]":{ ...the record, untouched... ,"event_type":"..."}}

## Setup

TODO: the vendor-side steps (the role or scope the token needs, where to create it), then the secret
` + "`[[.Prefix]]TOKEN`" + ` in ` + "`/etc/wazuh-wodle-[[.Name]]/secrets.env`" + `.

## Configuration

TODO: every setting and secret (` + "`[[.Name]]-wodle metadata`" + ` lists them; the conformance suite
checks that this README names each one).

### Sending to Wazuh's queue socket (` + "`" + `[[.Prefix]]SINK=wazuh-queue` + "`" + `)

By default events go to stdout, and the command wodle forwards them to analysisd after the run.
With ` + "`" + `[[.Prefix]]SINK=wazuh-queue` + "`" + ` the binary sends each event itself, as one datagram to analysisd's
queue socket (` + "`" + `[[.Prefix]]QUEUE_SOCKET` + "`" + `), framed ` + "`" + `1:command_<tag>:<event>` + "`" + ` like the command wodle's own
output (so the same decoder and rules match), paced at ` + "`" + `[[.Prefix]]QUEUE_EPS` + "`" + ` events per second.

What it guarantees:

- **A page's cursor is saved only once analysisd has read the whole page off the socket**, not
  when the socket accepted it: analysisd discards what is still queued when it stops. After each
  page the binary waits until the socket holds none of its bytes, then checks with one empty
  datagram (analysisd ignores it) that the analysisd that read them is still the one connected.
- **A manager restart loses nothing.** If analysisd went away, the binary reconnects (it waits
  up to 2 minutes for it, never past ` + "`" + `[[.Prefix]]MAX_RUNTIME` + "`" + `) and sends the unconfirmed page again:
  events of that page that the old analysisd had read reach Wazuh twice (at most one page per
  module per restart).
- **It never hangs.** Every send and wait ends with ` + "`" + `[[.Prefix]]MAX_RUNTIME` + "`" + ` or SIGTERM/SIGINT. If
  analysisd keeps the socket open but does not read (busy or hung), the run ends with an
  ` + "`" + `error_kind: sink` + "`" + ` event and exit status 1; the cursor stays after the last page analysisd
  read. That event and the run summaries go to stdout, which the command wodle still forwards,
  since the socket is what failed. A signal while a page is being paced is an ordinary stop: the
  page is sent again next run.
- Error and summary events are sent, not confirmed (they carry no cursor). Once analysisd has
  read an event, what happens to it is analysisd's (its own queues and EPS limits).

What it costs: after each page, a poll of the socket's unread-byte count (every 100 µs at first,
backing off to every 5 ms) and one empty datagram. Measured: 1.3-2.7 ms per 1,000-event page on
a busy 2-core machine, and no measurable CPU; at the default ` + "`" + `[[.Prefix]]QUEUE_EPS` + "`" + ` of 1,000 a page takes
a second to send. Memory: one copy of the page in flight. Linux only, as Wazuh managers are.

## When the Wazuh manager restarts

Under wazuh-modulesd (` + "`[[.Prefix]]COMMIT=auto`" + `, the default) a run's cursors stay pending until the
next run of the same wazuh-modulesd, which has forwarded the run's output by then; after a restart, a
crash of wazuh-modulesd or a reboot the next run collects that run's events again: at most one run of
duplicates, never a loss. ` + "`[[.Prefix]]COMMIT=immediate`" + ` commits each page at once; ` + "`state show`" + ` prints
both cursors (docs/architecture.md, "The commit protocol").

## Commands

` + "```" + `
[[.Name]]-wodle                   # collect new events (what Wazuh runs, via run.sh)
[[.Name]]-wodle check             # config, secrets and one authenticated call per module
[[.Name]]-wodle --dry-run         # what the next run would bring; nothing saved
[[.Name]]-wodle state show | state reset --source events --yes
` + "```" + `

## Sample events

TODO: lines from testdata/golden/events.jsonl.

## Rules ([[.First]]-[[.Last]], ` + "`rules/[[.Name]]/`" + `)

TODO: the rules table (id, level, what, MITRE).

## Troubleshooting

TODO: one row per real error answer of the API (from the vendor's documentation and the golden error
lines), as the error event shows it.

| error event | cause | fix |
|---|---|---|
| ` + "`error_kind: auth`, `http_status: 401`" + ` | TODO | TODO |
| ` + "`error_kind: config`" + ` | a setting or secret is missing or invalid; the message names it | fix that setting, then ` + "`[[.Name]]-wodle check`" + ` |
`,
	"cmd/NAME/main.go": `// Command [[.Name]]-wodle brings [[.Title]] events into Wazuh.
package main

import (
	"os"

	"github.com/wodlekit/wodlekit/runtime/runner"
	"github.com/wodlekit/wodlekit/vendors/[[.Name]]"
)

func main() { os.Exit(runner.Main([[.Pkg]].New)) }
`,
	"rules/NAME/NAME_decoders.xml": `<!--
  wodlekit: [[.Title]]. A child of Wazuh's json decoder (see rules/duo/duo_decoders.xml for why).
-->
<decoder name="[[.Name]]">
  <parent>json</parent>
  <use_own_name>true</use_own_name>
  <prematch>"integration":"[[.Name]]"</prematch>
  <plugin_decoder>JSON_Decoder</plugin_decoder>
</decoder>
`,
	"rules/NAME/NAME_rules.xml": `<!--
  wodlekit: [[.Title]] rules. Registered ID block [[.First]]-[[.Last]].
  TODO: one rule per event type, the ones that matter raised, MITRE IDs.
-->
<group name="[[.Name]],">

  <rule id="[[.First]]" level="0">
    <decoded_as>[[.Name]]</decoded_as>
    <description>[[.Title]] events grouped.</description>
  </rule>

</group>
`,
	"rules/NAME/tests/NAME.ini": `; wodlekit: [[.Title]] rules. TODO: tests built from vendors/[[.Name]]/testdata/golden/events.jsonl.
`,
}
