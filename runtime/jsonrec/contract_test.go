package jsonrec

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
)

// The page contract: every answer that is not the documented shape is an
// error naming the member and what was found, never an empty page.
func TestDecodeContract(t *testing.T) {
	onePassword := &Spec{Arrays: map[string]string{"items": ""}, Fields: []string{"uuid"}, Members: []Member{
		{Path: "cursor", Type: String, NonEmpty: true},
		{Path: "has_more", Type: Bool},
	}}
	okta := &Spec{Arrays: map[string]string{"": ""}}
	duo := &Spec{Arrays: map[string]string{"response.authlogs": "auth"}, Members: []Member{
		{Path: "stat", Type: String},
		{Path: "response.metadata", Type: Object},
		{Path: "response.metadata.next_offset", Type: Null | String | Array, Optional: true, NonEmpty: true},
	}}
	tap := &Spec{Arrays: map[string]string{"clicksPermitted": "cp", "clicksBlocked": "cb", "messagesDelivered": "md", "messagesBlocked": "mb"}}
	google := googleSpec()
	tests := []struct {
		name     string
		spec     *Spec
		body     string
		contains []string
	}{
		{"1Password items absent", onePassword, `{"cursor":"c","has_more":false}`, []string{`"items"`, "absent", "expected an array of records"}},
		{"1Password items null", onePassword, `{"cursor":"c","has_more":true,"items":null}`, []string{`"items"`, "null", "expected an array of records"}},
		{"1Password items a string", onePassword, `{"cursor":"c","has_more":true,"items":"x"}`, []string{`"items"`, "string"}},
		{"1Password items an object", onePassword, `{"cursor":"c","has_more":true,"items":{"uuid":"a"}}`, []string{`"items"`, "object"}},
		{"1Password cursor a number", onePassword, `{"cursor":12345,"has_more":false,"items":[]}`, []string{`"cursor"`, "number", "expected a string"}},
		{"1Password cursor empty", onePassword, `{"cursor":"","has_more":false,"items":[]}`, []string{`"cursor"`, "empty", "string"}},
		{"1Password cursor null", onePassword, `{"cursor":null,"has_more":false,"items":[]}`, []string{`"cursor"`, "null"}},
		{"1Password cursor absent", onePassword, `{"has_more":false,"items":[]}`, []string{`"cursor"`, "absent"}},
		{"1Password has_more a string", onePassword, `{"cursor":"c","has_more":"false","items":[]}`, []string{`"has_more"`, "string", "expected a boolean"}},
		{"1Password cursor an object", onePassword, `{"cursor":{"a":1},"has_more":false,"items":[]}`, []string{`"cursor"`, "object"}},
		{"1Password body null", onePassword, `null`, []string{"the response", "null", "expected an object"}},
		{"1Password body an array", onePassword, `[]`, []string{"the response", "array", "expected an object"}},
		{"1Password body a string", onePassword, `"ok"`, []string{"the response", "string", "expected an object"}},
		{"1Password two violations named together", onePassword, `{"cursor":7}`, []string{`"cursor"`, "number", `"items"`, "absent", `"has_more"`}},
		{"Okta body null", okta, `null`, []string{"the response", "null", "expected an array of records"}},
		{"Okta body a number", okta, ` 0 `, []string{"the response", "number"}},
		{"Okta body an error object", okta, `{"errorCode":"E0000011"}`, []string{"the response", "object", "expected an array of records"}},
		{"Duo authlogs absent", duo, `{"stat":"OK","response":{"metadata":{}}}`, []string{`"response.authlogs"`, "absent"}},
		{"Duo authlogs null", duo, `{"stat":"OK","response":{"authlogs":null,"metadata":{}}}`, []string{`"response.authlogs"`, "null"}},
		{"Duo metadata absent", duo, `{"stat":"OK","response":{"authlogs":[]}}`, []string{`"response.metadata"`, "absent", "expected an object"}},
		{"Duo metadata null", duo, `{"stat":"OK","response":{"authlogs":[],"metadata":null}}`, []string{`"response.metadata"`, "null", "expected an object"}},
		{"Duo response null names the parent", duo, `{"stat":"OK","response":null}`, []string{`"response.authlogs" is absent`, `"response" is a JSON null`}},
		{"Duo next_offset a number", duo, `{"stat":"OK","response":{"authlogs":[],"metadata":{"next_offset":17}}}`, []string{`"response.metadata.next_offset"`, "number", "null, a string or an array"}},
		{"Duo next_offset empty string", duo, `{"stat":"OK","response":{"authlogs":[],"metadata":{"next_offset":""}}}`, []string{`"response.metadata.next_offset"`, "empty string"}},
		{"Duo next_offset empty array", duo, `{"stat":"OK","response":{"authlogs":[],"metadata":{"next_offset":[]}}}`, []string{`"response.metadata.next_offset"`, "empty array"}},
		{"Duo stat absent", duo, `{"response":{"authlogs":[],"metadata":{}}}`, []string{`"stat"`, "absent"}},
		{"TAP all four arrays absent", tap, `{"queryEndTime":"2024-05-01T10:00:00Z"}`, []string{`"clicksBlocked"`, `"clicksPermitted"`, `"messagesBlocked"`, `"messagesDelivered"`, "absent"}},
		{"TAP one array absent", tap, `{"clicksPermitted":[],"clicksBlocked":[],"messagesDelivered":[]}`, []string{`"messagesBlocked" is absent`}},
		{"TAP one array null", tap, `{"clicksPermitted":[],"clicksBlocked":null,"messagesDelivered":[],"messagesBlocked":[]}`, []string{`"clicksBlocked"`, "null"}},
		{"TAP body null", tap, `null`, []string{"the response", "null", "expected an object"}},
		{"TAP body an empty array", tap, `[]`, []string{"the response", "array", "expected an object"}},
		{"TAP body true", tap, `true`, []string{"the response", "boolean"}},
		{"Google items null", google, `{"kind":"admin#reports#activities","items":null}`, []string{`"items"`, "null", "expected an array of records"}},
		{"Google items an object", google, `{"kind":"admin#reports#activities","items":{}}`, []string{`"items"`, "object"}},
		{"Google items omitted and kind absent", google, `{"etag":"x"}`, []string{`"kind"`, "absent"}},
		{"Google error body", google, `{"error":{"code":403,"message":"no"}}`, []string{`"kind"`, "absent"}},
		{"Google body an empty array", google, `[]`, []string{"the response", "array"}},
		{"1Password a record that is a string", onePassword, `{"cursor":"c","has_more":true,"items":[ ""]}`, []string{`record 0 of "items"`, "string", "not an object"}},
		{"1Password a second record that is a number", onePassword, `{"cursor":"c","has_more":true,"items":[{"uuid":"a"},7]}`, []string{`record 1 of "items"`, "number", "not an object"}},
		{"Okta a record that is null", okta, `[null]`, []string{"record 0 of the response", "null", "not an object"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, err := Decode(strings.NewReader(tc.body), tc.spec)
			if err == nil {
				t.Fatalf("Decode accepted %s with %d records and meta %v: an answer off the contract must be an error", tc.body, len(page.Items), page.Meta)
			}
			if !errors.Is(err, ErrContract) {
				t.Errorf("error %q is not ErrContract", err)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("error %q reads as a truncation (it would be retried)", err)
			}
			for _, s := range tc.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

// googleSpec is the Reports API's page: "items" left out when empty, "kind"
// always there.
func googleSpec() *Spec {
	return &Spec{Arrays: map[string]string{"items": "activity"}, Omittable: []string{"items"}, Members: []Member{
		{Path: "kind", Type: String, NonEmpty: true},
		{Path: "nextPageToken", Type: String, Optional: true},
	}}
}

// Answers that keep the contract, including the empty ones, decode.
func TestDecodeContractKept(t *testing.T) {
	duo := &Spec{Arrays: map[string]string{"response.items": "tel"}, Members: []Member{
		{Path: "stat", Type: String},
		{Path: "response.metadata", Type: Object},
		{Path: "response.metadata.next_offset", Type: Null | String | Array, Optional: true, NonEmpty: true},
	}}
	tests := []struct {
		name string
		spec *Spec
		body string
		n    int
	}{
		{"an empty array is a real empty page", &Spec{Arrays: map[string]string{"items": ""}, Members: []Member{{Path: "cursor", Type: String, NonEmpty: true}}}, `{"cursor":"c","items":[]}`, 0},
		{"Okta empty page", &Spec{Arrays: map[string]string{"": ""}}, ` [ ] `, 0},
		{"Duo last page: next_offset absent", duo, `{"stat":"OK","response":{"items":[{"a":1}],"metadata":{}}}`, 1},
		{"Duo last page: next_offset null", duo, `{"stat":"OK","response":{"items":[],"metadata":{"next_offset":null,"total_objects":0}}}`, 0},
		{"Duo next_offset a string", duo, `{"stat":"OK","response":{"items":[{"a":1}],"metadata":{"next_offset":"1,x"}}}`, 1},
		{"Duo next_offset an array", duo, `{"stat":"OK","response":{"items":[{"a":1}],"metadata":{"next_offset":["1","x"]}}}`, 1},
		{"a declared object member may be empty", &Spec{Members: []Member{{Path: "m", Type: Object}}}, `{"m":{}}`, 0},
		{"no spec members: any object", &Spec{}, `{"x":[1]}`, 0},
		{"an omittable array left out of an empty page", googleSpec(), `{"kind":"admin#reports#activities","etag":"e"}`, 0},
		{"an omittable array present", googleSpec(), `{"kind":"admin#reports#activities","items":[{"a":1}],"nextPageToken":"t"}`, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, err := Decode(strings.NewReader(tc.body), tc.spec)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(page.Items) != tc.n {
				t.Errorf("%d records, want %d", len(page.Items), tc.n)
			}
		})
	}
}

// A syntax error or a truncation still comes first: it is retried or
// reported as invalid JSON, whatever the shape of what was read.
func TestDecodeSyntaxBeforeContract(t *testing.T) {
	spec := &Spec{Arrays: map[string]string{"items": ""}, Members: []Member{{Path: "cursor", Type: String}}}
	_, err := Decode(strings.NewReader(`{"items":null,"cursor":"ab`), spec)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated body with a null items: %v, want a truncation", err)
	}
	_, err = Decode(strings.NewReader(`{"items":null,"cursor":x}`), spec)
	if err == nil || !strings.Contains(err.Error(), "invalid JSON") || errors.Is(err, ErrContract) {
		t.Fatalf("invalid body with a null items: %v, want invalid JSON", err)
	}
}

// fuzzSpec has every kind of declaration: a top-level and a nested record
// array, required and optional members, a non-empty cursor.
var fuzzSpec = &Spec{
	Arrays: map[string]string{"items": "i", "r.list": "l"},
	Members: []Member{
		{Path: "cursor", Type: String, NonEmpty: true},
		{Path: "has_more", Type: Bool},
		{Path: "r.meta", Type: Object},
		{Path: "r.meta.next", Type: Null | String | Array, Optional: true, NonEmpty: true},
	},
}

// contractHolds is the reference for fuzzSpec, on encoding by
// go-json-experiment (which refuses duplicate names and invalid UTF-8, the
// two things Decode accepts on purpose).
func contractHolds(doc any) bool {
	at := func(path string) (any, bool) {
		cur := doc
		for _, p := range strings.Split(path, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = m[p]; !ok {
				return nil, false
			}
		}
		return cur, true
	}
	if _, ok := doc.(map[string]any); !ok {
		return false
	}
	for _, p := range []string{"items", "r.list"} {
		if v, ok := at(p); !ok {
			return false
		} else if _, ok := v.([]any); !ok {
			return false
		}
	}
	if v, _ := at("cursor"); v == nil || v == "" {
		return false
	} else if _, ok := v.(string); !ok {
		return false
	}
	if v, _ := at("has_more"); v == nil {
		return false
	} else if _, ok := v.(bool); !ok {
		return false
	}
	if v, _ := at("r.meta"); v == nil {
		return false
	} else if _, ok := v.(map[string]any); !ok {
		return false
	}
	if v, ok := at("r.meta.next"); ok {
		switch x := v.(type) {
		case nil:
		case string:
			if x == "" {
				return false
			}
		case []any:
			if len(x) == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// FuzzContract: Decode accepts a valid body exactly when the reference
// says it keeps the contract, and refuses every other one with
// ErrContract, never with an empty page.
func FuzzContract(f *testing.F) {
	for _, s := range []string{
		`{"cursor":"c","has_more":true,"items":[{"a":1}],"r":{"list":[],"meta":{"next":["1","x"]}}}`,
		`{"cursor":"c","has_more":false,"items":[],"r":{"list":[{}],"meta":{}}}`,
		`{"cursor":"","has_more":false,"items":[],"r":{"list":[],"meta":{"next":null}}}`,
		`{"cursor":1,"has_more":false,"items":null,"r":{"list":[],"meta":{"next":""}}}`,
		`{"cursor":"c","has_more":"no","r":null}`,
		`{"cursor":"c","has_more":true,"items":[],"r":{"list":{},"meta":[]}}`,
		`{"cursor":"c","has_more":true,"items":[],"r":{"list":[],"meta":{"next":[]}}}`,
		`{"\u0063ursor":"c","has_more":true,"items":[],"r":{"list":[],"meta":{"next":7}}}`,
		`null`, `[]`, `"x"`, `0`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := Decode(bytes.NewReader(body), fuzzSpec)
		var doc any
		if jsonv2.Unmarshal(body, &doc) != nil {
			return // invalid, or duplicate names / invalid UTF-8: no reference
		}
		want := contractHolds(doc)
		switch {
		case want && err != nil && !strings.Contains(err.Error(), "max depth"):
			t.Fatalf("Decode refused a page that keeps the contract: %v\n%s", err, body)
		case !want && err == nil:
			t.Fatalf("Decode accepted a page off the contract (%d records): %s", len(page.Items), body)
		case !want && !errors.Is(err, ErrContract):
			t.Fatalf("valid JSON off the contract refused with %v, want ErrContract: %s", err, body)
		}
	})
}
