package fakekit_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

const base = `{"id":"a1","msg":"hello","details":{"who":"x","n":12345678901234567890},"tags":["a","b"]}`

func TestBigRecord(t *testing.T) {
	tests := []struct {
		field string
		size  int
		exact bool
	}{
		{"msg", 0, false},
		{"msg", 2000, true},
		{"msg", 60000, true},
		{"details.note", 100000, true},
		{"new.deep.note", 5000, true},
	}
	for _, tt := range tests {
		rec := fakekit.BigRecord([]byte(base), tt.field, tt.size)
		var v map[string]any
		dec := json.NewDecoder(strings.NewReader(string(rec)))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("BigRecord(%s, %d) is not JSON: %v", tt.field, tt.size, err)
		}
		if tt.exact && len(rec) != tt.size {
			t.Errorf("BigRecord(%s, %d) has %d bytes", tt.field, tt.size, len(rec))
		}
		if v["id"] != "a1" || v["details"].(map[string]any)["n"].(json.Number).String() != "12345678901234567890" {
			t.Errorf("BigRecord(%s) lost the record's other members: %s", tt.field, rec[:min(len(rec), 200)])
		}
	}
}

func TestWideRecord(t *testing.T) {
	for _, n := range []int{3, 10, 40, 256, 257, 1100} {
		for _, field := range []string{"details", "details.attrs", "extra"} {
			rec := fakekit.WideRecord([]byte(base), field, n)
			got := fakekit.CountLeaves(rec)
			if got < 0 {
				t.Fatalf("WideRecord(%s, %d) is not JSON", field, n)
			}
			plain := fakekit.CountLeaves(fakekit.WideRecord([]byte(base), field, 0))
			if n >= plain && got != n {
				t.Errorf("WideRecord(%s, %d) has %d leaves", field, n, got)
			}
			if n < plain && got != plain {
				t.Errorf("WideRecord(%s, %d) has %d leaves, want the plain record's %d", field, n, got, plain)
			}
		}
	}
}

func TestSetPathRefusesNonObjects(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a path through a string did not panic")
		}
	}()
	fakekit.BigRecord([]byte(base), "msg.deeper", 10)
}

func TestCountLeaves(t *testing.T) {
	tests := []struct {
		doc  string
		want int
	}{
		{`{"a":1,"b":{"c":null,"d":[1,2,{"e":3}]}}`, 3},
		{`{}`, 0},
		{`"x"`, 1},
		{`{"a":`, -1},
	}
	for _, tt := range tests {
		if got := fakekit.CountLeaves([]byte(tt.doc)); got != tt.want {
			t.Errorf("CountLeaves(%s) = %d, want %d", tt.doc, got, tt.want)
		}
	}
}

func TestBacklogOrder(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var b fakekit.Backlog
	add := func(sec int, key, raw string) {
		b.Add(fakekit.Entry{At: t0.Add(time.Duration(sec) * time.Second), Key: key, Raw: []byte(raw)})
	}
	add(10, "", "a")
	add(20, "", "b")
	add(5, "", "c")   // before everything
	add(10, "", "d")  // equal to a: after it
	add(10, "z", "e") // same time, larger key: after a and d
	add(10, "", "f")  // equal again: after d, before e
	var got []string
	for _, e := range b.Entries(0, b.Len()) {
		got = append(got, string(e.Raw))
	}
	if strings.Join(got, "") != "cadfeb" {
		t.Fatalf("order %v, want c a d f e b", got)
	}
	if b.Last() != t0.Add(20*time.Second) {
		t.Errorf("Last = %v", b.Last())
	}
	tests := []struct {
		sec  int
		want int
	}{{0, 0}, {5, 0}, {6, 1}, {10, 1}, {11, 5}, {20, 5}, {21, 6}}
	for _, tt := range tests {
		if i := b.Search(t0.Add(time.Duration(tt.sec) * time.Second)); i != tt.want {
			t.Errorf("Search(%ds) = %d, want %d", tt.sec, i, tt.want)
		}
	}
}

func TestBacklogWindowHidesLateRecords(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var b fakekit.Backlog
	b.Add(fakekit.Entry{At: t0, Raw: []byte("now")})
	b.Add(fakekit.Entry{At: t0.Add(time.Second), Raw: []byte("late"), Visible: t0.Add(time.Hour)})
	b.Add(fakekit.Entry{At: t0.Add(time.Minute), Raw: []byte("outside")})
	for _, tt := range []struct {
		now  time.Time
		want int
	}{{t0, 1}, {t0.Add(time.Hour), 2}} {
		if got := b.Window(t0, t0.Add(time.Minute), tt.now); len(got) != tt.want {
			t.Errorf("Window at %v: %d records, want %d", tt.now, len(got), tt.want)
		}
	}
}

func TestGenIsDeterministic(t *testing.T) {
	draw := func() string {
		g := fakekit.NewGen(42, 7)
		w := g.Weighted(3, func(i int) int { return []int{0, 5, 1}[i] })
		return g.UUID() + "|" + g.Chars("DU", fakekit.UpperDigits, 20) + "|" + fakekit.Pick(g, []string{"x", "y", "z"}) + "|" + string(rune('0'+w))
	}
	a, b := draw(), draw()
	if a != b {
		t.Fatalf("same seed, different draws: %s vs %s", a, b)
	}
	parts := strings.Split(a, "|")
	if len(parts[0]) != 36 || parts[0][14] != '4' || !strings.HasPrefix(parts[1], "DU") || len(parts[1]) != 20 {
		t.Fatalf("draws %q", a)
	}
	g := fakekit.NewGen(1, 1)
	for range 1000 {
		if g.Weighted(3, func(i int) int { return []int{0, 5, 1}[i] }) == 0 {
			t.Fatal("Weighted chose an index of weight 0")
		}
	}
}

func TestRequestLog(t *testing.T) {
	var log fakekit.RequestLog
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Record(w, r, at, func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/teapot":
				w.WriteHeader(http.StatusTeapot)
			case "/body":
				_, _ = w.Write([]byte("{}"))
			}
		})
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, p := range []string{"/teapot", "/body?a=1", "/empty", "/body"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+p, nil)
		req.Header.Set("Authorization", "Bearer t")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	reqs := log.Requests()
	if len(reqs) != 4 || log.Count("/body") != 2 || log.Count("/nope") != 0 {
		t.Fatalf("requests %v", reqs)
	}
	want := []int{http.StatusTeapot, http.StatusOK, http.StatusOK, http.StatusOK}
	for i, r := range reqs {
		if r.Status != want[i] || r.Method != http.MethodGet || r.Header.Get("Authorization") != "Bearer t" || !r.At.Equal(at) {
			t.Errorf("request %d: %+v", i, r)
		}
	}
	if reqs[1].Query != "a=1" {
		t.Errorf("query %q", reqs[1].Query)
	}
}

func TestObjectKeepsOrderAndText(t *testing.T) {
	got := string(fakekit.Object("z", "<b>&", "a", 1, "m", 43.6532, "raw", json.RawMessage(`[1,{"x":null}]`), "n", nil, "t", true))
	want := `{"z":"<b>&","a":1,"m":43.6532,"raw":[1,{"x":null}],"n":null,"t":true}`
	if got != want {
		t.Fatalf("Object = %s, want %s", got, want)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("an odd argument count did not panic")
		}
	}()
	odd := make([]any, 0, 1) // built at run time: the mistake the panic is for
	fakekit.Object(append(odd, "a")...)
}

func TestWriteJSON(t *testing.T) {
	for _, tt := range []struct {
		body any
		want string
	}{{map[string]string{"error": "a<b"}, `{"error":"a<b"}`}, {[]byte(`{"x":1}`), `{"x":1}`}, {json.RawMessage(`[]`), `[]`}} {
		rec := httptest.NewRecorder()
		fakekit.WriteJSON(rec, http.StatusTeapot, tt.body)
		if rec.Code != http.StatusTeapot || rec.Body.String() != tt.want || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("WriteJSON(%v): %d %q %q", tt.body, rec.Code, rec.Body.String(), rec.Header().Get("Content-Type"))
		}
	}
}

func TestBudget(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := fakekit.Budget{Window: time.Minute}
	steps := []struct {
		at   time.Duration
		key  string
		want bool
	}{
		{0, "a", true}, {10 * time.Second, "a", true}, {20 * time.Second, "a", false}, // limit 2
		{20 * time.Second, "b", true},  // another key has its own count
		{59 * time.Second, "a", false}, // both still inside the minute
		{60 * time.Second, "a", true},  // the first left the window
		{69 * time.Second, "a", false}, // the refusals were not counted, the second is still in
		{70 * time.Second, "a", true},
	}
	for _, s := range steps {
		if got := b.Take(s.key, 2, t0.Add(s.at)); got != s.want {
			t.Fatalf("Take(%s) at %v = %v, want %v", s.key, s.at, got, s.want)
		}
	}
	if n := b.Used("a", t0.Add(70*time.Second)); n != 2 {
		t.Errorf("Used = %d, want 2", n)
	}
	for range 10 {
		if !b.Take("c", 0, t0) {
			t.Fatal("limit 0 refused a request")
		}
	}
	if n := b.Used("c", t0); n != 0 {
		t.Errorf("limit 0 counted %d requests", n)
	}
}
