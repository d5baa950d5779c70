// Package wjson reproduces what Wazuh 4.x's JSON_Decoder plugin extracts
// from a log line (src/analysisd/decoders/plugins/json_decoder.c:
// JSON_Decoder_Exec(), readJSON(), fillData()), including cJSON's number
// and array printing, because rules only ever see those strings.
package wjson

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is a cJSON item type.
type Kind int

// cJSON item types.
const (
	Null Kind = iota
	False
	True
	Number
	String
	Array
	Object
)

// Value is a parsed JSON item that keeps object key order and duplicate
// keys, as cJSON's linked lists do.
type Value struct {
	Kind  Kind
	Num   float64
	Str   string
	Keys  []string // Object only, parallel to Items
	Items []*Value // Array elements or Object members
}

// ErrMalformed is returned when cJSON would fail to parse the input; Wazuh
// then extracts nothing and only logs at debug level.
var ErrMalformed = errors.New("malformed JSON")

const nestingLimit = 1000 // CJSON_NESTING_LIMIT

// Parse parses the first JSON value of s, ignoring trailing bytes, like
// cJSON_ParseWithOpts(input, &err, 0).
func Parse(s string) (*Value, error) {
	p := &parser{s: s}
	p.skip()
	v, err := p.value(0)
	if err != nil {
		return nil, fmt.Errorf("%w: %v at byte %d", ErrMalformed, err, p.i)
	}
	return v, nil
}

type parser struct {
	s string
	i int
}

func (p *parser) skip() {
	for p.i < len(p.s) && p.s[p.i] <= ' ' {
		p.i++
	}
}

func (p *parser) value(depth int) (*Value, error) {
	if depth > nestingLimit {
		return nil, errors.New("nesting too deep")
	}
	if p.i >= len(p.s) {
		return nil, errors.New("unexpected end")
	}
	switch c := p.s[p.i]; {
	case strings.HasPrefix(p.s[p.i:], "null"):
		p.i += 4
		return &Value{Kind: Null}, nil
	case strings.HasPrefix(p.s[p.i:], "false"):
		p.i += 5
		return &Value{Kind: False}, nil
	case strings.HasPrefix(p.s[p.i:], "true"):
		p.i += 4
		return &Value{Kind: True}, nil
	case c == '"':
		str, err := p.str()
		if err != nil {
			return nil, err
		}
		return &Value{Kind: String, Str: str}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == '[':
		return p.array(depth)
	case c == '{':
		return p.object(depth)
	}
	return nil, fmt.Errorf("unexpected %q", p.s[p.i])
}

// number mimics cJSON parse_number(): collect [0-9+-eE.] then strtod the
// longest valid prefix.
func (p *parser) number() (*Value, error) {
	j := p.i
	for j < len(p.s) && strings.IndexByte("0123456789+-eE.", p.s[j]) >= 0 {
		j++
	}
	for k := j; k > p.i; k-- {
		if f, err := strconv.ParseFloat(p.s[p.i:k], 64); err == nil || errors.Is(err, strconv.ErrRange) {
			p.i = k
			return &Value{Kind: Number, Num: f}, nil
		}
	}
	return nil, errors.New("bad number")
}

func (p *parser) str() (string, error) {
	p.i++ // opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return "", errors.New("unterminated escape")
			}
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'u':
				r, err := p.hex4()
				if err != nil {
					return "", err
				}
				if utf16.IsSurrogate(r) {
					if !strings.HasPrefix(p.s[p.i:], `\u`) {
						return "", errors.New("lone surrogate")
					}
					p.i += 2
					r2, err := p.hex4()
					if err != nil {
						return "", err
					}
					r = utf16.DecodeRune(r, r2)
					if r == utf8.RuneError {
						return "", errors.New("bad surrogate pair")
					}
				}
				b.WriteRune(r)
			default:
				return "", fmt.Errorf("bad escape \\%c", e)
			}
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", errors.New("unterminated string")
}

func (p *parser) hex4() (rune, error) {
	if p.i+4 > len(p.s) {
		return 0, errors.New("short \\u escape")
	}
	n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, fmt.Errorf("bad \\u escape: %w", err)
	}
	p.i += 4
	return rune(n), nil
}

func (p *parser) array(depth int) (*Value, error) {
	p.i++
	v := &Value{Kind: Array}
	p.skip()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return v, nil
	}
	for {
		p.skip()
		item, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v.Items = append(v.Items, item)
		p.skip()
		if p.i >= len(p.s) {
			return nil, errors.New("unterminated array")
		}
		if p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.s[p.i] == ']' {
			p.i++
			return v, nil
		}
		return nil, errors.New("expected , or ]")
	}
}

func (p *parser) object(depth int) (*Value, error) {
	p.i++
	v := &Value{Kind: Object}
	p.skip()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return v, nil
	}
	for {
		p.skip()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, errors.New("expected key")
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skip()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, errors.New("expected colon")
		}
		p.i++
		p.skip()
		item, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v.Keys = append(v.Keys, k)
		v.Items = append(v.Items, item)
		p.skip()
		if p.i >= len(p.s) {
			return nil, errors.New("unterminated object")
		}
		if p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.s[p.i] == '}' {
			p.i++
			return v, nil
		}
		return nil, errors.New("expected , or }")
	}
}

// valueInt is cJSON's clamped int copy of a number (cJSON_SetNumberHelper).
func valueInt(d float64) int32 {
	switch {
	case d >= math.MaxInt32:
		return math.MaxInt32
	case d <= math.MinInt32:
		return math.MinInt32
	case math.IsNaN(d):
		return 0
	}
	return int32(d)
}

// FormatNumber is readJSON()'s rendering: "%i" when the clamped int equals
// the double, else "%f" — so 1700000000123 becomes "1700000000123.000000".
func FormatNumber(d float64) string {
	if float64(valueInt(d)) == d {
		return strconv.Itoa(int(valueInt(d)))
	}
	return fmt.Sprintf("%f", d)
}

// Print renders v like cJSON_Print() (formatted): ", " between array
// elements, objects over several lines with tab indentation.
func Print(v *Value) string {
	var b strings.Builder
	printValue(&b, v, 0)
	return b.String()
}

func printValue(b *strings.Builder, v *Value, depth int) {
	switch v.Kind {
	case Null:
		b.WriteString("null")
	case False:
		b.WriteString("false")
	case True:
		b.WriteString("true")
	case Number:
		b.WriteString(printNumber(v.Num))
	case String:
		printString(b, v.Str)
	case Array:
		b.WriteByte('[')
		for i, it := range v.Items {
			printValue(b, it, depth+1)
			if i < len(v.Items)-1 {
				b.WriteString(", ")
			}
		}
		b.WriteByte(']')
	case Object:
		d := depth + 1
		b.WriteString("{\n")
		for i, it := range v.Items {
			b.WriteString(strings.Repeat("\t", d))
			printString(b, v.Keys[i])
			b.WriteString(":\t")
			printValue(b, it, d)
			if i < len(v.Items)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(strings.Repeat("\t", d-1))
		b.WriteByte('}')
	}
}

// printNumber follows cJSON print_number(): integers as %d, else the
// shortest of %1.15g / %1.17g that round-trips.
func printNumber(d float64) string {
	if math.IsNaN(d) || math.IsInf(d, 0) {
		return "null"
	}
	if d == float64(valueInt(d)) {
		return strconv.Itoa(int(valueInt(d)))
	}
	s := strconv.FormatFloat(d, 'g', 15, 64)
	if f, err := strconv.ParseFloat(s, 64); err != nil || f != d {
		s = strconv.FormatFloat(d, 'g', 17, 64)
	}
	return s
}

func printString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 32 {
				fmt.Fprintf(b, `\u%04x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}
