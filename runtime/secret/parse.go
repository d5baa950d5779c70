package secret

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ParseFile reads a KEY=VALUE secrets file.
//
// Errors name only line numbers and key names, never any part of a value,
// because a malformed line is most likely a secret typed slightly wrong.
// Every malformed line is reported at once (errors.Join).
func ParseFile(r io.Reader) (map[string]string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading secrets: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	out := make(map[string]string)
	firstLine := make(map[string]int)
	var errs []error
	for i, raw := range strings.Split(string(data), "\n") {
		n := i + 1
		key, val, ok, perr := parseLine(strings.TrimSuffix(raw, "\r"))
		if perr != nil {
			errs = append(errs, fmt.Errorf("line %d: %s", n, perr.Error()))
			continue
		}
		if !ok {
			continue
		}
		if prev, dup := firstLine[key]; dup {
			errs = append(errs, fmt.Errorf("line %d: duplicate key %s (first set on line %d)", n, key, prev))
			continue
		}
		firstLine[key] = n
		out[key] = val
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// parseLine returns ok=false for blank and comment lines. Its error texts
// are fixed strings plus the key name; never the value.
func parseLine(line string) (key, val string, ok bool, err error) {
	s := strings.TrimLeft(line, " \t")
	if s == "" || s[0] == '#' {
		return "", "", false, nil
	}
	if rest, found := strings.CutPrefix(s, "export"); found && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		s = strings.TrimLeft(rest, " \t")
	}
	k, v, found := strings.Cut(s, "=")
	if !found {
		return "", "", false, errors.New("expected KEY=VALUE")
	}
	k = strings.TrimRight(k, " \t")
	if !ValidKey(k) {
		return "", "", false, errors.New("invalid key name (want [A-Za-z_][A-Za-z0-9_]*)")
	}
	raw := v
	v = strings.TrimLeft(v, " \t")
	switch {
	case v == "":
		return k, "", true, nil
	case v[0] == '\'':
		end := strings.IndexByte(v[1:], '\'')
		if end < 0 {
			return "", "", false, fmt.Errorf("%s: unterminated single quote", k)
		}
		if !onlyComment(v[end+2:]) {
			return "", "", false, fmt.Errorf("%s: unexpected text after closing quote", k)
		}
		return k, v[1 : end+1], true, nil
	case v[0] == '"':
		var b strings.Builder
		for i := 1; i < len(v); i++ {
			c := v[i]
			switch c {
			case '"':
				if !onlyComment(v[i+1:]) {
					return "", "", false, fmt.Errorf("%s: unexpected text after closing quote", k)
				}
				return k, b.String(), true, nil
			case '\\':
				if i+1 >= len(v) {
					return "", "", false, fmt.Errorf("%s: unterminated double quote", k)
				}
				i++
				switch v[i] {
				case '"', '\\':
					b.WriteByte(v[i])
				case 'n':
					b.WriteByte('\n')
				default:
					return "", "", false, fmt.Errorf(`%s: unsupported escape in double quotes (only \", \\ and \n)`, k)
				}
			default:
				b.WriteByte(c)
			}
		}
		return "", "", false, fmt.Errorf("%s: unterminated double quote", k)
	default:
		if i := inlineComment(raw); i >= 0 {
			raw = raw[:i]
		}
		return k, strings.Trim(raw, " \t"), true, nil
	}
}

// inlineComment finds a " #" comment start; a bare '#' inside a value is kept
// because passwords often contain one.
func inlineComment(v string) int {
	for i := 1; i < len(v); i++ {
		if v[i] == '#' && (v[i-1] == ' ' || v[i-1] == '\t') {
			return i - 1
		}
	}
	return -1
}

func onlyComment(rest string) bool {
	rest = strings.TrimLeft(rest, " \t")
	return rest == "" || rest[0] == '#'
}

// ValidKey reports whether k is a usable key name ([A-Za-z_][A-Za-z0-9_]*),
// which also keeps credentials-directory lookups inside the directory.
func ValidKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
