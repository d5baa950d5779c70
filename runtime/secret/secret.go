// Package secret holds credentials in a type that cannot leak through
// logs, errors, JSON or fmt, and resolves them from the environment, a
// KEY=VALUE secrets file and a systemd credentials directory.
package secret

import (
	"fmt"
	"log/slog"
	"strconv"
)

const (
	redacted = "[REDACTED]"
	empty    = "[EMPTY]"
)

// Secret is a credential that prints as "[REDACTED]" in every encoding so a
// stray log line or error cannot leak it.
//
// The value sits behind a pointer on purpose: when a Secret is an unexported
// field of a struct, fmt cannot call its methods and prints the raw field;
// a pointer then prints as an address instead of the value.
type Secret struct {
	p *string
}

// New wraps v; New("") is an empty secret (IsZero reports true).
func New(v string) Secret {
	if v == "" {
		return Secret{}
	}
	return Secret{p: &v}
}

// Reveal returns the plain value; it is the only way out so every use is grep-able.
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// IsZero reports an absent or empty value, so config checks need not Reveal.
func (s Secret) IsZero() bool { return s.p == nil || *s.p == "" }

func (s Secret) mask() string {
	if s.IsZero() {
		return empty
	}
	return redacted
}

// String redacts so %v, %s and string concatenation via fmt never leak.
func (s Secret) String() string { return s.mask() }

// GoString redacts so %#v never leaks.
func (s Secret) GoString() string { return s.mask() }

// Format redacts for every verb and flag (%x would otherwise hex-dump the value).
func (s Secret) Format(f fmt.State, verb rune) {
	m := s.mask()
	if verb == 'q' {
		m = strconv.Quote(m)
	}
	_, _ = f.Write([]byte(m))
}

// MarshalJSON redacts so config or debug dumps through encoding/json never leak.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.mask() + `"`), nil }

// MarshalText redacts for text encoders (slog TextHandler, map keys, XML attributes).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.mask()), nil }

// LogValue redacts for slog, whatever the handler.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.mask()) }

var (
	_ fmt.Stringer   = Secret{}
	_ fmt.GoStringer = Secret{}
	_ fmt.Formatter  = Secret{}
	_ slog.LogValuer = Secret{}
)
