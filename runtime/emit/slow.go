package emit

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wodlekit/wodlekit/runtime/jsonrec"
)

// node is one value of a record on the slow path, keeping member order and
// the exact bytes of scalars.
type node struct {
	kind byte   // '{', '[', '"' string, '0' number, 'l' literal
	key  string // member key as written, quotes included; "" for array elements and the root
	raw  []byte // scalar bytes as written
	kids []*node
	// orig is the object a folded node was, so that folding an ancestor
	// quotes the original content once instead of quoting quotes again.
	orig *node
}

func parse(b []byte, i int) (*node, int) {
	if i >= len(b) {
		return &node{kind: 'l', raw: []byte("null")}, i
	}
	switch b[i] {
	case '{', '[':
		n := &node{kind: b[i]}
		closing := byte('}')
		if n.kind == '[' {
			closing = ']'
		}
		i++
		for i < len(b) && b[i] != closing {
			if b[i] == ',' {
				i++
				continue
			}
			var key string
			if n.kind == '{' {
				end := jsonrec.SkipValue(b, i)
				key = string(b[i:end])
				i = end + 1 // the colon
			}
			kid, next := parse(b, i)
			if next <= i {
				next = i + 1
			}
			kid.key = key
			n.kids = append(n.kids, kid)
			i = next
		}
		return n, i + 1
	case '"':
		end := jsonrec.SkipValue(b, i)
		return &node{kind: '"', raw: b[i:end]}, end
	default:
		end := jsonrec.SkipValue(b, i)
		kind := byte('l')
		if c := b[i]; c == '-' || (c >= '0' && c <= '9') {
			kind = '0'
		}
		return &node{kind: kind, raw: b[i:end]}, end
	}
}

// leaves counts Wazuh decoder fields under n (see jsonrec.Shape).
func (n *node) leaves() int {
	switch n.kind {
	case '{':
		total := 0
		for _, k := range n.kids {
			total += k.leaves()
		}
		return total
	default:
		return 1
	}
}

func (n *node) appendTo(dst []byte) []byte { return n.appendJSON(dst, false) }

// appendOriginal is appendTo with folded objects restored.
func (n *node) appendOriginal(dst []byte) []byte { return n.appendJSON(dst, true) }

func (n *node) appendJSON(dst []byte, original bool) []byte {
	if original && n.orig != nil {
		return n.orig.appendJSON(dst, true)
	}
	if n.kind != '{' && n.kind != '[' {
		return append(dst, n.raw...)
	}
	open, closing := byte('{'), byte('}')
	if n.kind == '[' {
		open, closing = '[', ']'
	}
	dst = append(dst, open)
	for i, k := range n.kids {
		if i > 0 {
			dst = append(dst, ',')
		}
		if n.kind == '{' {
			dst = append(dst, k.key...)
			dst = append(dst, ':')
		}
		dst = k.appendJSON(dst, original)
	}
	return append(dst, closing)
}

func (n *node) size() int { return len(n.appendTo(nil)) }

// keyName is the unquoted member key, for marker paths.
func keyName(quoted string) string {
	s, err := jsonrec.Unquote([]byte(quoted))
	if err != nil {
		return quoted
	}
	return s
}

// stringify rewrites big integers as strings everywhere in n.
func (n *node) stringify(m *Marks) {
	if n.kind == '0' && jsonrec.IsBigInt(n.raw) {
		n.kind = '"'
		n.raw = []byte(`"` + string(n.raw) + `"`)
		m.BigInts++
	}
	for _, k := range n.kids {
		k.stringify(m)
	}
}

type located struct {
	n     *node
	path  string
	depth int
}

// objects lists the object members under n, with their dotted paths.
func (n *node) objects(path string, depth int, out []located) []located {
	if n.kind != '{' {
		return out
	}
	for _, k := range n.kids {
		p := joinPath(path, keyName(k.key))
		if k.kind == '{' {
			out = append(out, located{k, p, depth + 1})
			out = k.objects(p, depth+1, out)
		}
	}
	return out
}

// strings lists the string leaves and arrays under n (not inside arrays),
// with paths, and their encoded size in the depth field.
func (n *node) strings(path string, out []located) []located {
	for _, k := range n.kids {
		p := joinPath(path, keyName(k.key))
		switch k.kind {
		case '"':
			out = append(out, located{k, p, len(k.raw)})
		case '[':
			// An array is one printed field to Wazuh: when it holds the
			// bulk of a record it is shrunk as the string it will become.
			out = append(out, located{k, p, k.size()})
		case '{':
			out = k.strings(p, out)
		}
	}
	return out
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// markerFields is the leaf budget reserved for the marker object when
// folding (folded_fields, truncated_fields, original_bytes), plus one for
// big_integers_as_strings when there are any.
const markerFields = 3

// markerSlack bounds the bytes of a marker without truncated_fields.
const markerSlack = 64

func (e *Encoder) slowPath(dst, raw []byte, eventType string, addType bool) ([]byte, Marks, error) {
	var m Marks
	root, _ := parse(raw, 0)
	if root.kind != '{' {
		return dst, m, fmt.Errorf("record is not a JSON object")
	}
	root.stringify(&m)
	if addType {
		root.kids = append(root.kids, &node{kind: '"', key: `"event_type"`, raw: appendQuoted(nil, eventType)})
	}
	var folded, truncated []string

	// Fold the deepest objects first: they are the least likely to be
	// matched by rules, and one string keeps all of their content.
	// The marker's own leaves count too: one for big integers, two when
	// strings will be truncated (markerSlack covers the marker's bytes).
	knownMarker := 0
	if m.BigInts > 0 {
		knownMarker++
	}
	if len(e.prefix)+root.size()+2+markerSlack > e.opt.MaxLineBytes {
		knownMarker += 2
	}
	budget := e.opt.MaxFields - 1 // integration
	if 1+root.leaves()+knownMarker > e.opt.MaxFields {
		budget -= markerFields
		if m.BigInts > 0 {
			budget--
		}
		objs := root.objects("", 0, nil)
		sort.SliceStable(objs, func(i, j int) bool {
			if objs[i].depth != objs[j].depth {
				return objs[i].depth > objs[j].depth
			}
			return objs[i].n.leaves() > objs[j].n.leaves()
		})
		for _, o := range objs {
			if root.leaves() <= budget {
				break
			}
			if o.n.kind != '{' || o.n.leaves() < 2 || foldedAncestor(folded, o.path) {
				continue
			}
			orig := *o.n
			o.n.raw = appendQuoted(nil, string(o.n.appendOriginal(nil)))
			o.n.kind, o.n.kids, o.n.orig = '"', nil, &orig
			// Objects folded inside this one are now part of its string.
			kept := folded[:0]
			for _, f := range folded {
				if !strings.HasPrefix(f, o.path+".") {
					kept = append(kept, f)
				}
			}
			folded = append(kept, o.path)
		}
		m.Folded = len(folded)
		if root.leaves() > budget {
			m.OverFields = true
		}
	}

	original := len(e.prefix) + len(raw) + 2
	marker := func() *node {
		if len(folded) == 0 && len(truncated) == 0 && !m.OverFields && m.BigInts == 0 {
			return nil
		}
		var b strings.Builder
		b.WriteByte('{')
		sep := ""
		if len(folded) > 0 {
			b.WriteString(`"folded_fields":`)
			b.Write(quoteList(folded))
			sep = ","
		}
		if len(truncated) > 0 {
			b.WriteString(sep + `"truncated_fields":`)
			b.Write(quoteList(truncated))
			b.WriteString(`,"original_bytes":` + strconv.Itoa(original))
			sep = ","
		}
		if m.OverFields {
			b.WriteString(sep + `"too_many_fields":` + strconv.Itoa(root.leaves()+1))
			sep = ","
		}
		if m.BigInts > 0 {
			b.WriteString(sep + `"big_integers_as_strings":` + strconv.Itoa(m.BigInts))
		}
		b.WriteByte('}')
		n, _ := parse([]byte(b.String()), 0)
		n.key = `"` + MarkerKey + `"`
		return n
	}
	lineSize := func() int {
		size := len(e.prefix) + root.size() + 2
		if mk := marker(); mk != nil {
			size += len(mk.key) + 2 + mk.size()
		}
		return size
	}

	// Shrink the largest strings until the line fits, largest first, so
	// that most fields stay whole.
	// Each round fixes the excess or empties one string (down to its
	// marker), so rounds are bounded by the number of strings; folded
	// objects are strings too.
	rounds := 64 + len(root.strings("", nil))
	for guard := 0; guard < rounds; guard++ {
		excess := lineSize() - e.opt.MaxLineBytes
		if excess <= 0 {
			break
		}
		strs := root.strings("", nil)
		if len(strs) == 0 {
			return dst, m, fmt.Errorf("%w: %d bytes over %d", ErrTooLarge, lineSize(), e.opt.MaxLineBytes)
		}
		// depth holds the candidate's size here (see strings).
		sort.SliceStable(strs, func(i, j int) bool { return strs[i].depth > strs[j].depth })
		big := strs[0]
		if big.depth < 64 {
			return dst, m, fmt.Errorf("%w: %d bytes over %d", ErrTooLarge, lineSize(), e.opt.MaxLineBytes)
		}
		if !contains(truncated, big.path) {
			truncated = append(truncated, big.path)
			m.Truncated++
			excess = lineSize() - e.opt.MaxLineBytes
		}
		if big.n.kind == '[' {
			big.n.raw = appendQuoted(nil, string(big.n.appendTo(nil)))
			big.n.kind, big.n.kids = '"', nil
			excess = lineSize() - e.opt.MaxLineBytes
		}
		big.n.raw = shrink(big.n.raw, excess)
	}
	if lineSize() > e.opt.MaxLineBytes {
		return dst, m, fmt.Errorf("%w: %d bytes over %d", ErrTooLarge, lineSize(), e.opt.MaxLineBytes)
	}
	if mk := marker(); mk != nil {
		root.kids = append(root.kids, mk)
	}
	dst = append(dst, e.prefix...)
	dst = root.appendTo(dst)
	return append(dst, '}', '\n'), m, nil
}

func foldedAncestor(folded []string, path string) bool {
	for _, f := range folded {
		if strings.HasPrefix(path, f+".") {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// shrink cuts a quoted JSON string so that its encoding is at least excess
// bytes shorter, at a rune boundary, and ends it with a visible marker.
func shrink(quoted []byte, excess int) []byte {
	s, err := jsonrec.Unquote(quoted)
	if err != nil {
		s = string(quoted[1 : len(quoted)-1])
	}
	cut := len(s)
	for {
		overhead := len(truncMarker(len(s))) + 16
		target := len(quoted) - excess - overhead
		if target < 0 {
			target = 0
		}
		if target < cut {
			cut = target
		}
		// cut counts unquoted bytes and target quoted ones: for a string
		// of escapes, target can exceed len(s).
		cut = min(cut, len(s))
		for cut > 0 && cut < len(s) && !utf8.RuneStart(s[cut]) {
			cut--
		}
		out := appendQuoted(nil, s[:cut]+truncMarker(len(s)-cut))
		if len(quoted)-len(out) >= excess || cut == 0 {
			return out
		}
		cut -= (excess - (len(quoted) - len(out))) + 1
		if cut < 0 {
			cut = 0
		}
	}
}

func truncMarker(removed int) string {
	return "…[wodlekit: truncated " + strconv.Itoa(removed) + " bytes]"
}

func quoteList(list []string) []byte {
	b := []byte{'['}
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendQuoted(b, s)
	}
	return append(b, ']')
}
