// Package wodletest is the vendor test kit: fault injection around a
// vendor's fake API, in-process and real-process runs of a vendor binary,
// golden JSONL comparison with named normalisers and -update, and the
// conformance suite every vendor must pass. The vendors' fake APIs are
// built on its subpackage fakekit (the Fake interface they implement).
package wodletest
