package runner

import (
	"context"
	"strings"
	"testing"

	"github.com/wodlekit/wodlekit/runtime/jsonrec"
)

var recordsSpec = &jsonrec.Spec{Arrays: map[string]string{"items": "x"}, Fields: []string{"id"}}

// fetchInto plays one Fetch under lease l: a page decoded by FetchPage's
// decodePage, then its records asked for n times.
func fetchInto(t *testing.T, l *pageLease, body string, n int) [][]Record {
	t.Helper()
	ctx := withPageLease(context.Background(), l)
	page, err := decodePage(ctx, strings.NewReader(body), -1, recordsSpec)
	if err != nil {
		t.Fatalf("decodePage: %v", err)
	}
	var out [][]Record
	for range n {
		recs := PageRecords(ctx, len(page.Items))
		for i, it := range page.Items {
			recs[i] = Record{Raw: it.Raw, ID: it.Fields[0]}
		}
		out = append(out, recs)
	}
	return out
}

// The records of a page come back with its body: the next page's Fetch
// gets the same memory, and a released page's records are wiped with the
// body when the pool poisons (so a record read after release shows).
func TestPageRecordsKeptWithTheBody(t *testing.T) {
	pool := newPageBuffers(1, true)
	l1 := pool.lease()
	first := fetchInto(t, l1, `{"items":[{"id":"a"},{"id":"b"}]}`, 1)[0]
	if len(first) != 2 || first[1].ID != "b" {
		t.Fatalf("first page records = %+v", first)
	}
	l1.release()
	if first[0].Raw != nil || first[1].ID != "" {
		t.Errorf("released records not wiped: %+v", first)
	}
	l2 := pool.lease()
	second := fetchInto(t, l2, `{"items":[{"id":"c"}]}`, 1)[0]
	defer l2.release()
	if len(second) != 1 || second[0].ID != "c" || string(second[0].Raw) != `{"id":"c"}` {
		t.Fatalf("second page records = %+v", second)
	}
	if &second[0] != &first[0] {
		t.Errorf("the second page's records are new memory: want the first page's, kept with the body")
	}
}

// Two calls in one Fetch must not hand out the same slice: the second
// would overwrite the first page's records while they are still in use.
func TestPageRecordsTwiceInOneFetch(t *testing.T) {
	pool := newPageBuffers(1, false)
	l := pool.lease()
	defer l.release()
	got := fetchInto(t, l, `{"items":[{"id":"a"}]}`, 2)
	if &got[0][0] == &got[1][0] {
		t.Fatal("PageRecords lent the same records twice in one Fetch")
	}
}

// Without a lease (the check command) or before a page took a body,
// records are new memory every time.
func TestPageRecordsWithoutABody(t *testing.T) {
	a := PageRecords(context.Background(), 3)
	b := PageRecords(context.Background(), 3)
	if len(a) != 3 || &a[0] == &b[0] {
		t.Fatalf("records without a lease: len %d, shared %v", len(a), &a[0] == &b[0])
	}
	l := newPageBuffers(1, false).lease()
	ctx := withPageLease(context.Background(), l)
	c, d := PageRecords(ctx, 1), PageRecords(ctx, 1)
	if &c[0] == &d[0] {
		t.Fatal("records before the Fetch took a body were shared")
	}
}
