package wodletest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Answer says where one kind of a vendor's answers keeps what the page
// contract protects. The suite rewrites one such answer, in the middle of
// a backlog, into every shape off the contract and expects a decode error
// event, the cursor unchanged and nothing lost: never an empty page.
// Declare it from the vendor's documentation, not from its code.
type Answer struct {
	// Module is the module whose requests get this answer; Path is their
	// URL path.
	Module, Path string
	// Array marks an answer whose body is the record array itself (Okta).
	Array bool
	// Records are the dotted paths of the record arrays of an object body
	// ("items", "response.authlogs").
	Records []string
	// Omittable are record arrays the vendor documents as left out of an
	// answer with no records (Google's "items"): rewritten null, a string
	// or an object, never absent, which is a real empty page there.
	Omittable []string
	// Required are the other members every answer carries ("has_more",
	// "response.metadata").
	Required []string
	// Cursors are members holding the position the vendor resumes from:
	// a number or an empty one must not be saved.
	Cursors []string
}

// mutation is one shape off the contract.
type mutation struct {
	name string
	// apply rewrites a decoded answer; it returns the new body.
	apply func(doc any) any
	// want are substrings the error message must hold: the member and
	// what was found there.
	want []string
}

// absent marks a member to delete.
type absent struct{}

// mutations lists the bad shapes of one Answer.
func (a Answer) mutations() []mutation {
	var out []mutation
	body := func(name string, v any, found string) {
		out = append(out, mutation{"body " + name, func(any) any { return v }, []string{"the response", found}})
	}
	body("null", nil, "null")
	body("a number", json.Number("42"), "number")
	if a.Array {
		body("an object", map[string]any{}, "object")
	} else {
		body("an empty array", []any{}, "array")
	}
	set := func(name, path string, v any, found string) {
		out = append(out, mutation{fmt.Sprintf("%s %s", path, name), func(doc any) any { return setPath(doc, path, v) },
			[]string{fmt.Sprintf("%q", path), found}})
	}
	for _, p := range a.Records {
		set("absent", p, absent{}, "absent")
	}
	for _, p := range append(slices.Clone(a.Records), a.Omittable...) {
		set("null", p, nil, "null")
		set("a string", p, "none", "string")
		set("an object", p, map[string]any{}, "object")
	}
	if len(a.Records) > 1 {
		want := []string{"absent"}
		for _, p := range a.Records {
			want = append(want, fmt.Sprintf("%q", p))
		}
		out = append(out, mutation{"every record array absent", func(doc any) any {
			for _, p := range a.Records {
				doc = setPath(doc, p, absent{})
			}
			return doc
		}, want})
	}
	for _, p := range a.Required {
		set("absent", p, absent{}, "absent")
		set("null", p, nil, "null")
		out = append(out, mutation{p + " of another type", func(doc any) any {
			return setPath(doc, p, otherType(getPath(doc, p)))
		}, []string{fmt.Sprintf("%q", p)}})
	}
	for _, p := range a.Cursors {
		set("a number", p, json.Number("12345"), "number")
		set("empty", p, "", "empty")
	}
	return out
}

// otherType returns a value of another JSON type than v.
func otherType(v any) any {
	switch v.(type) {
	case string:
		return json.Number("7")
	default:
		return "x"
	}
}

func getPath(doc any, path string) any {
	cur := doc
	for _, k := range strings.Split(path, ".") {
		m, _ := cur.(map[string]any)
		cur = m[k]
	}
	return cur
}

// setPath sets (or deletes, for absent{}) the member at a dotted path,
// creating the objects on the way.
func setPath(doc any, path string, v any) any {
	m, ok := doc.(map[string]any)
	if !ok {
		return doc
	}
	keys := strings.Split(path, ".")
	cur := m
	for _, k := range keys[:len(keys)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	last := keys[len(keys)-1]
	if _, del := v.(absent); del {
		delete(cur, last)
	} else {
		cur[last] = v
	}
	return doc
}

// rewriter turns a mutation into a Fault's Rewrite.
func rewriter(t *testing.T, m mutation) func([]byte) []byte {
	return func(body []byte) []byte {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var doc any
		if err := dec.Decode(&doc); err != nil {
			t.Errorf("the fake's answer is not JSON: %v", err)
			return body
		}
		out, err := json.Marshal(m.apply(doc))
		if err != nil {
			t.Errorf("encode the rewritten answer: %v", err)
			return body
		}
		return out
	}
}

// pageContract is the suite's page-contract case: for every declared
// answer and every bad shape, a run meets that shape in the middle of a
// backlog.
func pageContract(t *testing.T, h Harness) {
	const perModule = 25
	if len(h.Answers) == 0 {
		t.Fatal("Harness.Answers is empty: declare where the API's answers keep their record arrays, required members and cursors")
	}
	t.Run("every module's answers are declared", func(t *testing.T) {
		in := h.start(t, 1)
		ev, _ := in.run()
		for m := range Summaries(ev) {
			if !slices.ContainsFunc(h.Answers, func(a Answer) bool { return a.Module == m }) {
				t.Errorf("module %s has no Harness.Answers entry", m)
			}
		}
	})
	for _, a := range h.Answers {
		for _, m := range a.mutations() {
			t.Run(a.Module+" "+m.name, func(t *testing.T) {
				in := h.start(t, perModule)
				// A first run stops after a page per module: the fault
				// lands in the middle of the backlog.
				ev1, _ := in.run(in.v.EnvPrefix+"MAX_EVENTS_PER_RUN", fmt.Sprint(h.PageSize))
				before := readFile(t, in.stateFile())
				if cursorOf(t, before, a.Module) == "" {
					t.Fatalf("the first run saved no cursor for %s", a.Module)
				}
				in.faults.Push(Fault{Path: a.Path, Rewrite: rewriter(t, m)})
				ev2, res := in.run()
				if res.Code != 0 {
					t.Fatalf("exit %d: a bad answer must not fail the run", res.Code)
				}
				if in.faults.Pending() != 0 {
					t.Fatalf("no request for %s was made: the case proved nothing", a.Path)
				}
				errs := Errors(ev2)
				if len(errs) != 1 {
					s := Summaries(ev2)[a.Module]
					t.Fatalf("want one decode error event, got %d: %v (summary of %s: status %v, events %v, message %v)",
						len(errs), errs, a.Module, s["status"], s["events"], s["message"])
				}
				e := errs[0]
				msg, _ := e["error_message"].(string)
				if e["module"] != a.Module || e["error_kind"] != "decode" {
					t.Errorf("error event of module %v kind %v, want %s decode: %s", e["module"], e["error_kind"], a.Module, msg)
				}
				for _, w := range m.want {
					if !strings.Contains(msg, w) {
						t.Errorf("error message %q does not say %q", msg, w)
					}
				}
				if s := Summaries(ev2)[a.Module]; s["status"] == "ok" || s["stopped_by"] != "error" {
					t.Errorf("summary of %s: status %v, stopped_by %v; want a failure", a.Module, s["status"], s["stopped_by"])
				}
				if after := readFile(t, in.stateFile()); cursorOf(t, before, a.Module) != cursorOf(t, after, a.Module) {
					t.Errorf("the cursor of %s moved past the bad answer:\nbefore %s\nafter  %s",
						a.Module, cursorOf(t, before, a.Module), cursorOf(t, after, a.Module))
				}
				ev3, _ := in.run()
				if errs := Errors(ev3); len(errs) > 0 {
					t.Fatalf("the clean run after the bad answer failed: %v", errs)
				}
				all := append(append(in.ids(ev1), in.ids(ev2)...), in.ids(ev3)...)
				in.exactlyOnce(all, perModule*len(Summaries(ev3)))
			})
		}
	}
}
