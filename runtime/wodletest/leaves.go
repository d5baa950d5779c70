package wodletest

import (
	"bytes"
	"encoding/json"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// CountLeaves counts the fields Wazuh's JSON decoder would make of a line:
// scalars outside arrays, and one per outermost array.
func CountLeaves(line []byte) int {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return -1
	}
	return leaves(v)
}

func leaves(v any) int {
	switch x := v.(type) {
	case map[string]any:
		n := 0
		for _, c := range x {
			n += leaves(c)
		}
		return n
	default:
		return 1
	}
}
