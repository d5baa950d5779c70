package duo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// ParseNextOffset reads a v2 log's response.metadata.next_offset as Duo
// sends it and returns the value to send back as the next_offset
// parameter. Authentication logs send an array of strings (timestamp and
// txid), joined with a comma as Duo's documentation and Go client do;
// telephony and activity logs send one string. Absent and null mean the
// window has no more pages (ok false); "" and [] are errors, not the end
// of a window (the page contract refuses them before this runs).
func ParseNextOffset(raw []byte) (param string, ok bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false, fmt.Errorf("next_offset: %w", err)
		}
		if s == "" {
			return "", false, fmt.Errorf("next_offset is an empty string")
		}
		return s, true, nil
	case '[':
		var parts []json.RawMessage
		if err := json.Unmarshal(raw, &parts); err != nil {
			return "", false, fmt.Errorf("next_offset: %w", err)
		}
		if len(parts) == 0 {
			return "", false, fmt.Errorf("next_offset is an empty array")
		}
		strs := make([]string, len(parts))
		for i, p := range parts {
			// Timestamps have been seen as numbers in third-party fixtures;
			// json.Number keeps all 13 digits either way.
			var s string
			if err := json.Unmarshal(p, &s); err != nil {
				var n json.Number
				dec := json.NewDecoder(bytes.NewReader(p))
				dec.UseNumber()
				if dec.Decode(&n) != nil {
					return "", false, fmt.Errorf("next_offset element %d is neither a string nor a number: %.40s", i, p)
				}
				s = n.String()
			}
			if s == "" {
				return "", false, fmt.Errorf("next_offset element %d is empty", i)
			}
			if strings.Contains(s, ",") {
				return "", false, fmt.Errorf("next_offset element %d contains a comma, which the joined form cannot carry", i)
			}
			strs[i] = s
		}
		return strings.Join(strs, ","), true, nil
	}
	return "", false, fmt.Errorf("next_offset is neither a string nor an array: %.40s", raw)
}
