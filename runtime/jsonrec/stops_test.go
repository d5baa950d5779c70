package jsonrec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// refStops is markStops one byte at a time: bit k of dst[j] set when
// src[8j+k] is a stop or lies past src's end, for n bytes of bitmap.
func refStops(src []byte, n int) []byte {
	dst := make([]byte, n)
	for p := range 8 * n {
		if p >= len(src) || isStop(src[p]) {
			dst[p/8] |= 1 << (p % 8)
		}
	}
	return dst
}

// firstStop is the index of the first stop in b from p on, or len(b).
func firstStop(b []byte, p int) int {
	for ; p < len(b); p++ {
		if isStop(b[p]) {
			break
		}
	}
	return p
}

// kernels are the kernel this build uses (SSE2 assembly on amd64 unless
// tagged purego) and the Go one, compared on every input.
var kernels = []struct {
	name string
	f    func(dst, src []byte) int
}{{"stopBits", stopBits}, {"stopBitsGo", stopBitsGo}}

// checkKernels runs both kernels and markStops on src, with a bitmap of
// n bytes (a multiple of 8) between canaries, and compares
// them with refStops.
func checkKernels(t *testing.T, src []byte, n int) {
	t.Helper()
	want := refStops(src, n)
	blocks := min(n/8, len(src)/64)
	for _, k := range kernels {
		buf := bytes.Repeat([]byte{0xa5}, n+16)
		dst := buf[8 : 8+n : 8+n]
		if got := k.f(dst, src); got != 8*blocks {
			t.Fatalf("%s(%d bytes of bitmap, %d of body) = %d, want %d", k.name, n, len(src), got, 8*blocks)
		}
		if !bytes.Equal(dst[:8*blocks], want[:8*blocks]) {
			t.Fatalf("%s(%q)\n = %x\nwant %x", k.name, src, dst[:8*blocks], want[:8*blocks])
		}
		if c := bytes.Repeat([]byte{0xa5}, 8); !bytes.Equal(buf[:8], c) || !bytes.Equal(buf[8+8*blocks:], bytes.Repeat(c, (len(buf)-8-8*blocks)/8)) {
			t.Fatalf("%s(%d bytes of bitmap, %d of body) wrote outside its %d bytes: %x", k.name, n, len(src), 8*blocks, buf)
		}
	}
	dst := bytes.Repeat([]byte{0xa5}, n)
	markStops(dst, src)
	if !bytes.Equal(dst, want) {
		t.Fatalf("markStops(%q)\n = %x\nwant %x", src, dst, want)
	}
}

// jsonish returns n bytes drawn mostly from plain string bytes, with
// quotes, backslashes, control bytes, spaces and bytes >= 0x80 among them.
func jsonish(r *rand.Rand, n int) []byte {
	const alphabet = "\"\\\x00\x01\x1f\x20\x21\x23\x5b\x5d\x7f\x80\xa2\xdc\xff:,{}abcxyz0129"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return b
}

// TestStopBitsLengths holds the kernels to the byte-by-byte reference on
// bodies of every length from 0 to 200 at every alignment within a cache
// line, so that blocks end at the body's end at every offset, with bitmaps
// shorter than, as long as and longer than the body needs.
func TestStopBitsLengths(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := jsonish(r, 64+200)
	for off := range 64 {
		for n := 0; n <= 200; n++ {
			src := buf[off : off+n : off+n]
			for _, words := range []int{0, 1, n / 64, n/64 + 1, n/64 + 2} {
				checkKernels(t, src, 8*words)
			}
		}
	}
}

// TestStopBitsEveryByte puts every byte value at every position of a
// block, in a block of plain bytes and in a block of stops, so that each
// of the kernel's sixteen-byte lanes and each bit of the word is seen set
// and clear for each value.
func TestStopBitsEveryByte(t *testing.T) {
	for _, fill := range []byte{'a', 0xff, '"', 0x1f} {
		for pos := range 128 {
			for c := range 256 {
				src := bytes.Repeat([]byte{fill}, 128)
				src[pos] = byte(c)
				checkKernels(t, src, 16)
			}
		}
	}
}

// TestStopBytes checks the SWAR test of one word, for every byte value in
// every lane with every neighbour value that could carry into it.
func TestStopBytes(t *testing.T) {
	for lane := range 8 {
		for c := range 256 {
			for _, nb := range []byte{0x00, 0x1f, 0x20, 0x22, 0x5c, 0x7f, 0x80, 0xff} {
				w := bytes.Repeat([]byte{nb}, 8)
				w[lane] = byte(c)
				m := stopBytes(binary.LittleEndian.Uint64(w))
				for j, x := range w {
					if got, want := m>>(8*j+7)&1 == 1, isStop(x); got != want {
						t.Fatalf("stopBytes(%q): byte %d (%#x) flagged %v, want %v", w, j, x, got, want)
					}
				}
				if m&^msb != 0 {
					t.Fatalf("stopBytes(%q) = %#x: bits besides the high ones", w, m)
				}
			}
		}
	}
	for m := range 256 {
		var x uint64
		for j := range 8 {
			x |= uint64(m>>j&1) << (8*j + 7)
		}
		if got := byteFlags(x); got != uint64(m) {
			t.Fatalf("byteFlags(%#x) = %#x, want %#x", x, got, m)
		}
	}
}

// FuzzStopBits holds the kernels and markStops to the byte-by-byte
// reference on any body, at each alignment within a sixteen-byte lane,
// with bitmaps of every length the body needs and a word more.
func FuzzStopBits(f *testing.F) {
	f.Add([]byte(`{"uuid":"56YE2TYN2VFYRLNSHKP0000001","a":"b\"c\\d\u00e9","t":"tab\there"}`))
	f.Add(bytes.Repeat([]byte{0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7f, 0x80, 0xa2, 0xdc}, 20))
	f.Add([]byte(strings.Repeat("x", 63) + `"` + strings.Repeat("y", 64) + `\`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 300 {
			b = b[:300]
		}
		buf := append(make([]byte, 16), b...)
		for off := range 16 {
			src := buf[16-off:]
			copy(src, b)
			src = src[:len(b):len(b)]
			for words := 0; words <= len(src)/64+2; words++ {
				checkKernels(t, src, 8*words)
			}
		}
	})
}

// checkStringEnd holds the stop window's lookups of the string starting at
// b[i] to firstStop: slowEnd finds the first stop after b[i], or len(b),
// from any window; plainEnd finds it or says len(b), and finds it whenever
// the window holds it within the eight bytes of bitmap it reads.
func checkStringEnd(t *testing.T, b []byte, i int) {
	t.Helper()
	want := firstStop(b, i+1)
	var fresh stopWindow
	if got := fresh.plainEnd(b, i); got != len(b) {
		t.Fatalf("plainEnd(%q, %d) on an empty window = %d, want a miss (%d)", b, i, got, len(b))
	}
	if got := fresh.slowEnd(b, i); got != want {
		t.Fatalf("slowEnd(%q, %d) = %d, the first stop is at %d", b, i, got, want)
	}
	// fresh now holds the window slowEnd last filled, some way along a
	// long string; the others are filled where a lookup could find them.
	wins := []*stopWindow{&fresh}
	for _, p := range []int{0, i + 1, i + 1 - winBytes + 1, i + 1 - 57} {
		if p >= 0 && p <= len(b) {
			w := new(stopWindow)
			w.fill(b, p)
			wins = append(wins, w)
		}
	}
	for _, w := range wins {
		got := w.plainEnd(b, i)
		p := i + 1
		covered := uint(p-w.base) < winBytes && want-p < 64-p%8
		if got != want && (got != len(b) || covered) {
			t.Fatalf("plainEnd(%q, %d) with the window at %d = %d, the first stop is at %d", b, i, w.base, got, want)
		}
		if got := w.slowEnd(b, i); got != want {
			t.Fatalf("slowEnd(%q, %d) with the window at %d = %d, the first stop is at %d", b, i, w.base, got, want)
		}
	}
}

// TestStopWindow looks up every string start of long bodies, so that
// strings cross each window's end and the word after it at every offset:
// once in order through one window, as the scanner does, and at each
// start from fresh and refilled windows (checkStringEnd).
func TestStopWindow(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	bodies := [][]byte{onePasswordPage(30), auditPage(12)}
	for _, run := range []int{1, 7, 56, 57, 63, 64, 65, 200} {
		// Quotes every run bytes, with a stop of each kind now and then.
		var b bytes.Buffer
		for b.Len() < 3*winBytes {
			b.WriteByte('"')
			b.WriteString(strings.Repeat("x", run))
			if r.IntN(4) == 0 {
				b.WriteByte("\\\x01\x1f"[r.IntN(3)])
			}
		}
		bodies = append(bodies, b.Bytes())
	}
	bodies = append(bodies, jsonish(r, 3*winBytes))
	for _, b := range bodies {
		var w stopWindow
		for i, c := range b {
			if c != '"' {
				continue
			}
			want := firstStop(b, i+1)
			got := w.plainEnd(b, i)
			if got == len(b) && want != len(b) {
				got = w.slowEnd(b, i)
			}
			if got != want {
				t.Fatalf("at %d of a %d-byte body, window at %d: first stop %d, want %d", i, len(b), w.base, got, want)
			}
			checkStringEnd(t, b, i)
		}
	}
}

// TestScanAcrossWindows holds the scanner to refScan on records whose
// strings, names, escapes, control bytes and big integers cross the stop
// window's end at every offset: a long string first pushes the record's
// second half across winBytes and the 64 bytes after it.
func TestScanAcrossWindows(t *testing.T) {
	fields := []string{"uuid", "id", "event_type", "x"}
	tails := []string{
		`"uuid":"56YE2TYN2VFYRLNSHKP0000001","id":12345678901,"x":"a\"b","event_type":"e"`,
		`"uuid":"` + strings.Repeat("u", 70) + `","x":"` + strings.Repeat("\\n", 40) + `"`,
		`"x":"tab` + "\t" + `here"`, `"x":"\u12G4"`, `"x":"abc`, `"u\u0075id":"\u00e9","id":[1,"b",{"c":null}]`,
		` "uuid" : "spaced" , "id" : 1 `,
	}
	for _, tail := range tails {
		for pad := winBytes - 80; pad <= winBytes+80; pad++ {
			b := []byte(`{"pad":"` + strings.Repeat("p", pad-len(`{"pad":"`)) + `",` + tail + `}`)
			checkScan(t, b, 0, fields)
			checkScan(t, b, 0, nil)
		}
	}
	// Whole pages of many windows, as Decode scans them.
	for _, page := range [][]byte{onePasswordPage(40), auditPage(20)} {
		checkScan(t, page, 0, nil)
		if err := validate(page); err != nil {
			t.Fatal(err)
		}
		checkScan(t, page[:len(page)-1], 0, fields)
	}
}

// FuzzScanWindow is FuzzScan with the input placed where the stop window
// ends: after a string that takes the body to a few bytes before
// winBytes, at each of those offsets.
func FuzzScanWindow(f *testing.F) {
	for _, s := range []string{
		`"uuid":"56YE2TYN2VFYRLNSHKP0000001","id":12345678901}`, `"x":"a\"b\\c\u00e9"}`, `"x":"tab` + "\t" + `"}`,
		`"` + strings.Repeat("n", 90) + `":"` + strings.Repeat("v", 70) + `"}`, `"x":[1,"b",{"c":null}]}`,
	} {
		f.Add([]byte(s))
	}
	fields := []string{"uuid", "id", "event_type", "x"}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 256 {
			in = in[:256]
		}
		for _, before := range []int{1, 2, 7, 8, 9, 56, 57, 63, 64, 65} {
			head := fmt.Sprintf(`{"pad":"%s",`, strings.Repeat("p", winBytes-before-len(`{"pad":"",`)))
			checkScan(t, append([]byte(head), in...), 0, fields)
		}
	})
}
