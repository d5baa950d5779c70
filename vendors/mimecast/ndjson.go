package mimecast

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/wodlekit/wodlekit/runtime/jsonrec"
)

// Limits of one SIEM file.
const (
	// MaxLineBytes bounds one NDJSON line kept whole. Mimecast's events
	// are a few kilobytes; a longer line is delivered as an oversized_line
	// record (its head and its size) rather than held in memory or lost.
	MaxLineBytes = 4 << 20
	// MaxFileBytes bounds a file once decompressed: a gzip bomb, or a
	// file far beyond what one page may deliver, stops the page with an
	// error instead of filling memory.
	MaxFileBytes = 256 << 20
	// headBytes is how much of a bad line its record keeps.
	headBytes = 8 << 10
)

// Kinds of the records a file yields besides Mimecast's events: a line
// that is not a JSON object, and a line over MaxLineBytes. Both carry the
// file, the line number and the line's head, so nothing is lost silently.
const (
	InvalidLine   = "invalid_line"
	OversizedLine = "oversized_line"
)

// Line is one record of a SIEM file.
type Line struct {
	// Raw is the event's compact JSON, or for a bad line the record that
	// describes it.
	Raw []byte
	// Kind is "" for an event, else InvalidLine or OversizedLine.
	Kind string
	// N is the line's number in the file, from 1.
	N int
	// Fields are the event's type, processingId, aggregateId and
	// timestamp ("" when absent or not a scalar).
	Fields [4]string
	// Shape is the event's shape, found while validating it.
	Shape jsonrec.Shape
}

// lineSpec validates one line wrapped as a one-element array, with the
// dedup fields captured: the same one-pass validator as every API page.
var lineSpec = jsonrec.Spec{
	Arrays:   map[string]string{"": "event"},
	Fields:   []string{"type", "processingId", "aggregateId", "timestamp"},
	MaxBytes: MaxLineBytes + 2,
}

// ParseFile reads one SIEM file: gzip (what the store serves), or plain
// NDJSON when a proxy or the store already decoded it. Every line is
// passed to fn in order; blank lines are skipped. A stream that ends
// early (a truncated gzip) or is corrupt is an error that names the line
// reached, and io.ErrUnexpectedEOF stays in its chain so the download is
// retried; a line that is not a JSON object is not an error, it becomes
// an invalid_line record.
func ParseFile(r io.Reader, file string, fn func(Line) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var src io.Reader = br
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("file %s: gzip header: %w", file, err)
		}
		defer func() { _ = zr.Close() }()
		src = zr
	}
	counted := &countReader{r: src, limit: MaxFileBytes}
	lr := bufio.NewReaderSize(counted, 64<<10)
	var buf []byte
	for n := 1; ; n++ {
		line, size, err := readLine(lr, &buf)
		if err != nil && !errors.Is(err, io.EOF) {
			if counted.over {
				return fmt.Errorf("file %s: over %d MiB once decompressed (at line %d); lower PAGE_SIZE or ask Mimecast support about the file", file, MaxFileBytes>>20, n)
			}
			return fmt.Errorf("file %s: reading line %d: %w", file, n, err)
		}
		if size > 0 {
			if ferr := fn(parseLine(line, size, n, file)); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// readLine reads one line into *buf (without its line ending), keeping at
// most MaxLineBytes+1 bytes of it. size is the line's full length, or,
// when it fits, the length of the line trimmed of blanks (0: a blank
// line). It returns io.EOF with the last line when the stream ends.
func readLine(r *bufio.Reader, buf *[]byte) (line []byte, size int, err error) {
	b := (*buf)[:0]
	total := 0
	keep := func(p []byte) {
		total += len(p)
		if room := MaxLineBytes + 1 - len(b); room > 0 {
			b = append(b, p[:min(len(p), room)]...)
		}
	}
	for {
		chunk, rerr := r.ReadSlice('\n')
		if rerr == bufio.ErrBufferFull {
			keep(chunk)
			continue
		}
		keep(bytes.TrimRight(chunk, "\r\n"))
		*buf = b
		switch {
		case rerr != nil && rerr != io.EOF:
			return nil, 0, rerr
		case total > MaxLineBytes:
			return b, total, rerr
		}
		t := bytes.TrimSpace(b)
		return t, len(t), rerr
	}
}

// parseLine turns one non-blank line into a record.
func parseLine(line []byte, size, n int, file string) Line {
	if size > MaxLineBytes {
		return badLine(OversizedLine, fmt.Sprintf("line is %d bytes, over the %d a line may hold", size, MaxLineBytes), line, size, n, file)
	}
	wrapped := make([]byte, 0, len(line)+2)
	wrapped = append(append(append(wrapped, '['), line...), ']')
	p, err := jsonrec.Decode(bytes.NewReader(wrapped), &lineSpec)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "decode page: ")
		return badLine(InvalidLine, "not valid JSON: "+msg, line, size, n, file)
	}
	if len(p.Items) != 1 || len(p.Items[0].Raw) == 0 || p.Items[0].Raw[0] != '{' {
		return badLine(InvalidLine, "not a JSON object", line, size, n, file)
	}
	it := p.Items[0]
	return Line{Raw: it.Raw, N: n, Fields: [4]string{it.Fields[0], it.Fields[1], it.Fields[2], it.Fields[3]}, Shape: it.Shape}
}

// badLine is the record standing for a line that is not an event.
func badLine(kind, why string, line []byte, size, n int, file string) Line {
	head := line[:min(len(line), headBytes)]
	for !utf8.Valid(head) && len(head) > 0 && len(line) > headBytes {
		head = head[:len(head)-1] // cut on a rune boundary
	}
	raw, _ := json.Marshal(struct {
		EventType string `json:"event_type"`
		File      string `json:"file"`
		Line      int    `json:"line"`
		Bytes     int    `json:"bytes"`
		Error     string `json:"error"`
		Head      string `json:"head"`
	}{kind, file, n, size, why, string(head)})
	return Line{Raw: raw, Kind: kind, N: n}
}

// countReader fails a read past limit bytes.
type countReader struct {
	r     io.Reader
	n     int64
	limit int64
	over  bool
}

var errTooLarge = errors.New("file too large")

func (c *countReader) Read(p []byte) (int, error) {
	if c.n >= c.limit {
		c.over = true
		return 0, errTooLarge
	}
	if int64(len(p)) > c.limit-c.n {
		p = p[:c.limit-c.n]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
