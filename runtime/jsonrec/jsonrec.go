// Package jsonrec decodes one API page in one validating pass and keeps each
// record as its raw, compacted bytes: no map round trip (slow, reorders
// keys, loses integer precision), memory bounded by one page.
package jsonrec

// Spec says where a page keeps its records, and what else a page must
// carry: it is the page contract of an API (see Decode).
type Spec struct {
	// Arrays maps the dotted path of each record array ("items",
	// "response.authlogs") to the kind given to its records. The path ""
	// means the document itself is the array (Okta). Every array must be
	// present in every page and be an array; an empty array is a real
	// empty page.
	Arrays map[string]string
	// Omittable lists the record arrays of Arrays that the API leaves out
	// of a page with no records (Google's "items"): absent, such an array
	// reads as an empty page; present, it must still be an array. Declare
	// only what the vendor documents, and a Member the page always carries
	// (Google's "kind"), so that an answer of another shape stays an error.
	Omittable []string
	// Members are the values outside the record arrays a page must carry
	// (a cursor, a has_more flag, an envelope), with their JSON types.
	Members []Member
	// Fields lists top-level string or number fields captured from each
	// record ("uuid"), in this order, for IDs and cursors.
	Fields []string
	// MaxBytes bounds the page's body (default DefaultMaxBytes).
	MaxBytes int
}

// Item is one record of a page.
type Item struct {
	// Raw is the record's compact JSON.
	Raw []byte
	// Kind is the kind of the array it came from.
	Kind string
	// Fields holds the values of Spec.Fields ("" when absent or not a scalar).
	Fields []string
	// Shape is what the encoder needs, found while decoding.
	Shape Shape
}

// Page is a decoded page.
type Page struct {
	Items []Item
	// Meta holds every value outside the record arrays by dotted path
	// ("cursor", "has_more", "response.metadata.next_offset"), as raw JSON.
	Meta map[string][]byte
}
