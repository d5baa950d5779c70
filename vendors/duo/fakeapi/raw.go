package fakeapi

import (
	"fmt"
	"strings"
)

// BigEvent is a valid authentication record with one string of about
// size bytes (a pasted stack trace in a device name, say).
func BigEvent(size int) []byte {
	g := newGen(99)
	_, raw := g.authEvent(1_700_000_000_000)
	big := strings.Repeat("A", size)
	return []byte(strings.Replace(string(raw), `"alias":""`, `"alias":"`+big+`"`, 1))
}

// WideEvent is a valid authentication record with about n leaf fields.
func WideEvent(n int) []byte {
	g := newGen(98)
	_, raw := g.authEvent(1_700_000_000_001)
	var b strings.Builder
	b.WriteString(`"ood_software":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"agent_%04d":{"version":"1.%d"}`, i, i)
	}
	b.WriteString(`}`)
	return []byte(strings.Replace(string(raw), `"ood_software":null`, b.String(), 1))
}
