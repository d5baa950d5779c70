package fakekit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// Object returns a JSON object with its members in the order given, as
// alternating keys and values: APIs write their fields in a fixed order,
// and golden files compare bytes. A json.RawMessage value is written as
// it is; any other value is encoded like encoding/json does, without
// HTML escaping ("<" stays "<", as most APIs send it). An odd count or
// a value encoding/json refuses panics: it is a fake's programming error.
func Object(kv ...any) json.RawMessage {
	if len(kv)%2 != 0 {
		panic(fmt.Sprintf("fakekit.Object: %d arguments, want key/value pairs", len(kv)))
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(Marshal(kv[i]))
		b.WriteByte(':')
		if raw, ok := kv[i+1].(json.RawMessage); ok {
			b.Write(raw)
			continue
		}
		b.Write(Marshal(kv[i+1]))
	}
	b.WriteByte('}')
	return b.Bytes()
}

// Marshal is json.Marshal without HTML escaping and without the trailing
// newline of an Encoder; it panics on a value encoding/json refuses.
func Marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("fakekit.Marshal: %v", err))
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// WriteJSON answers status with body as JSON: a []byte or json.RawMessage
// is written as it is, anything else through Marshal.
func WriteJSON(w http.ResponseWriter, status int, body any) {
	var raw []byte
	switch v := body.(type) {
	case []byte:
		raw = v
	case json.RawMessage:
		raw = v
	default:
		raw = Marshal(v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(raw)
}
