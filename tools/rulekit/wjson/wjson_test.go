package wjson

import (
	"fmt"
	"strings"
	"testing"
)

// Each case is one behaviour from wazuh-4x-facts.md §3.
func TestFlatten(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opt  Options
		key  string
		want string // "<absent>" when the field must not exist
	}{
		{"dotted names", `{"a":{"b":{"c":"x"}}}`, Options{}, "a.b.c", "x"},
		{"int stays int", `{"n":42}`, Options{}, "n", "42"},
		{"big int as float", `{"t":1700000000123}`, Options{}, "t", "1700000000123.000000"},
		{"int32 max stays int", `{"t":2147483647}`, Options{}, "t", "2147483647"},
		{"int32 max+1 is float", `{"t":2147483648}`, Options{}, "t", "2147483648.000000"},
		{"float six decimals", `{"f":0.1}`, Options{}, "f", "0.100000"},
		{"1.0 prints as int", `{"f":1.0}`, Options{}, "f", "1"},
		{"true string", `{"b":true}`, Options{}, "b", "true"},
		{"false string", `{"b":false}`, Options{}, "b", "false"},
		{"null string default", `{"z":null}`, Options{}, "z", "null"},
		{"null discarded", `{"z":null}`, Options{Null: NullDiscard}, "z", "<absent>"},
		{"scalar array printed", `{"a":["a","b"]}`, Options{}, "a", `["a", "b"]`},
		{"number array printed", `{"a":[1,2.5,true,null]}`, Options{}, "a", `[1, 2.5, true, null]`},
		{"object in array printed", `{"a":[{"k":"v","n":1}]}`, Options{}, "a", "[{\n\t\t\"k\":\t\"v\",\n\t\t\"n\":\t1\n\t}]"},
		{"empty array printed", `{"a":[]}`, Options{}, "a", `[]`},
		{"csv array", `{"a":["a","b",3]}`, Options{Array: ArrayAsCSV}, "a", "a,b,3"},
		{"csv skips objects", `{"a":["a",{"x":1},"b"]}`, Options{Array: ArrayAsCSV}, "a", "a,b"},
		{"csv empty dropped", `{"a":[]}`, Options{Array: ArrayAsCSV}, "a", "<absent>"},
		{"no fields inside arrays", `{"a":[{"k":"v"}]}`, Options{}, "a.k", "<absent>"},
		{"top-level user is static", `{"user":"bob"}`, Options{}, "user", "<absent>"},
		{"nested user is dynamic", `{"x":{"user":"bob"}}`, Options{}, "x.user", "bob"},
		{"case-insensitive lookup", `{"Actor":{"Email":"a@b"}}`, Options{}, "actor.email", "a@b"},
		{"trailing garbage allowed", `{"a":"b"} trailing`, Options{}, "a", "b"},
		{"unicode escape", `{"a":"\u00e9"}`, Options{}, "a", "é"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := FlattenString(tt.in, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := r.Get(tt.key)
			if !ok {
				got = "<absent>"
			}
			if got != tt.want {
				t.Errorf("%s = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestStaticFields(t *testing.T) {
	r, err := FlattenString(`{"user":"bob","srcip":"1.2.3.4","id":"7","data":"d"}`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"dstuser": "bob", "srcip": "1.2.3.4", "id": "7", "data": "d"}
	for k, v := range want {
		if r.Static[k] != v {
			t.Errorf("static %s = %q, want %q", k, r.Static[k], v)
		}
	}
	if len(r.Dynamic) != 0 {
		t.Errorf("dynamic = %v, want none", r.Dynamic)
	}
}

func TestFieldCap(t *testing.T) {
	var parts []string
	for i := range 302 {
		parts = append(parts, fmt.Sprintf(`"f%03d":%d`, i, i))
	}
	r, err := FlattenString("{"+strings.Join(parts, ",")+"}", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Dynamic) != 256 || r.Dropped != 46 {
		t.Fatalf("kept %d dropped %d, want 256 and 46", len(r.Dynamic), r.Dropped)
	}
	if r.Dynamic[0].Key != "f000" || r.Dynamic[255].Key != "f255" {
		t.Errorf("kept %s..%s, want first 256 in document order", r.Dynamic[0].Key, r.Dynamic[255].Key)
	}
	r, _ = FlattenString("{"+strings.Join(parts, ",")+"}", Options{MaxFields: 1024})
	if len(r.Dynamic) != 302 {
		t.Errorf("decoder_order_size=1024 kept %d, want 302", len(r.Dynamic))
	}
}

func TestEmptyStringDroppedFromAlert(t *testing.T) {
	r, _ := FlattenString(`{"a":"","b":"x"}`, Options{})
	if v, ok := r.Get("a"); !ok || v != "" {
		t.Errorf("rules must still see the empty field, got %q %v", v, ok)
	}
	if af := r.AlertFields(); len(af) != 1 || af[0].Key != "b" {
		t.Errorf("alert fields = %v, want only b", af)
	}
}

func TestMalformed(t *testing.T) {
	for _, in := range []string{`{"a":`, `{"a":"b"`, `{a:1}`, ``} {
		if _, err := FlattenString(in, Options{}); err == nil {
			t.Errorf("%q parsed, want error", in)
		}
	}
}

func FuzzFlatten(f *testing.F) {
	for _, s := range []string{`{"a":{"b":[1,{"c":null}]},"user":"x"}`, `{"n":1e400}`, `[1]`, `{"s":"\ud83d\ude00"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := FlattenString(s, Options{})
		if err != nil {
			return
		}
		if len(r.Dynamic) > DefaultMaxFields {
			t.Fatalf("cap exceeded: %d", len(r.Dynamic))
		}
	})
}
