package wjson

import "strings"

// NullMode is the decoder's <json_null_field>.
type NullMode int

// Null treatments (decode-xml.c: ReadDecodeXML(); default "string").
const (
	NullAsString NullMode = iota
	NullDiscard
)

// ArrayMode is the decoder's <json_array_structure>.
type ArrayMode int

// Array treatments (default "array" = cJSON_Print of the array).
const (
	ArrayAsArray ArrayMode = iota
	ArrayAsCSV
)

// DefaultMaxFields is analysisd.decoder_order_size's default.
const DefaultMaxFields = 256

// Options carry the decoder settings that change extraction.
type Options struct {
	Null      NullMode
	Array     ArrayMode
	MaxFields int // 0 means DefaultMaxFields
}

// Field is one extracted key/value pair.
type Field struct {
	Key, Value string
}

// Result is what fillData() leaves on the Eventinfo.
type Result struct {
	Static  map[string]string // srcip, dstuser, id, ... (top-level names only)
	Dynamic []Field           // document order, capped
	Dropped int               // "Too many fields for JSON decoder." count
}

// staticKeys maps exact top-level keys to the Eventinfo member they fill
// (fillData()); `user` is stored as dstuser per the 4.14 facts file §3.
var staticKeys = map[string]string{
	"srcip": "srcip", "dstip": "dstip", "srcport": "srcport", "dstport": "dstport",
	"protocol": "protocol", "action": "action", "srcuser": "srcuser", "dstuser": "dstuser",
	"user": "dstuser", "id": "id", "status": "status", "url": "url", "data": "data",
	"extra_data": "extra_data", "systemname": "systemname",
}

// IsStaticJSONKey reports whether a top-level key is diverted to a static field.
func IsStaticJSONKey(k string) bool { _, ok := staticKeys[k]; return ok }

// Flatten runs readJSON() over a parsed document.
func Flatten(v *Value, o Options) *Result {
	if o.MaxFields == 0 {
		o.MaxFields = DefaultMaxFields
	}
	r := &Result{Static: map[string]string{}}
	if v.Kind == Object {
		r.walk(v, "", o)
	}
	return r
}

// FlattenString parses then flattens; malformed input yields no fields.
func FlattenString(s string, o Options) (*Result, error) {
	v, err := Parse(s)
	if err != nil {
		return &Result{Static: map[string]string{}}, err
	}
	return Flatten(v, o), nil
}

func (r *Result) fill(key, value string, o Options) {
	if st, ok := staticKeys[key]; ok {
		r.Static[st] = value
		return
	}
	if len(r.Dynamic) >= o.MaxFields {
		r.Dropped++
		return
	}
	r.Dynamic = append(r.Dynamic, Field{key, value})
}

func (r *Result) walk(obj *Value, parent string, o Options) {
	for i, it := range obj.Items {
		key := obj.Keys[i]
		if parent != "" {
			key = parent + "." + key
		}
		switch it.Kind {
		case String:
			r.fill(key, it.Str, o)
		case Number:
			r.fill(key, FormatNumber(it.Num), o)
		case True:
			r.fill(key, "true", o)
		case False:
			r.fill(key, "false", o)
		case Null:
			if o.Null == NullAsString {
				r.fill(key, "null", o)
			}
		case Object:
			r.walk(it, key, o)
		case Array:
			var val string
			if o.Array == ArrayAsCSV {
				val = csv(it)
			} else {
				val = Print(it)
			}
			if val != "" {
				r.fill(key, val, o)
			}
		}
	}
}

// csv joins scalar elements with ",": a comma follows every scalar that has
// a next element, even when that element is a skipped object or array.
func csv(arr *Value) string {
	var b strings.Builder
	for i, it := range arr.Items {
		switch it.Kind {
		case String:
			b.WriteString(it.Str)
		case Number:
			b.WriteString(FormatNumber(it.Num))
		case Null:
			b.WriteString("null")
		case True:
			b.WriteString("true")
		case False:
			b.WriteString("false")
		default:
			continue
		}
		if i < len(arr.Items)-1 {
			b.WriteByte(',')
		}
	}
	return b.String()
}

// Get returns a dynamic field by case-insensitive name, as FindField() does.
func (r *Result) Get(name string) (string, bool) {
	for _, f := range r.Dynamic {
		if strings.EqualFold(f.Key, name) {
			return f.Value, true
		}
	}
	return "", false
}

// AlertFields is the dynamic fields that reach the alert JSON: empty values
// are dropped there (format/to_json.c checks *value != '\0').
func (r *Result) AlertFields() []Field {
	var out []Field
	for _, f := range r.Dynamic {
		if f.Value != "" {
			out = append(out, f)
		}
	}
	return out
}
