package jsonrec

import (
	"encoding/binary"
	"math/bits"
)

// The string stops of the body: the bytes that end a run of plain string
// bytes (a quote, a backslash, a control character), marked 64 at a time
// by a vector kernel as the bits of a bitmap, so that the scanner finds a
// string's end with a load, a shift and a count of trailing zeros instead
// of a word-at-a-time loop over the string's bytes.
//
// Why a kernel: strings are most of a record, and the loop of stringStops
// (the scanner's before this) ran 22 instructions per eight bytes of string
// and mispredicted its exit about once a string. The kernel marks sixteen
// bytes with seven SSE2 instructions, branch-free (stops_amd64.s, 10-13
// GB/s on the project's VM); the lookup has no loop for a string under 57
// bytes (IDs, timestamps, names). SSE2 only: it is amd64's baseline
// (GOAMD64=v1), so there is no CPU detection and one path to test; the
// kernel is under a tenth of the decode, so AVX2 would gain little. Other
// architectures, and builds tagged purego, run the same scanner on
// stopBitsGo (SWAR, eight bytes a step, about 4 GB/s), which the tests hold
// to the assembly and to a byte-by-byte reference.
//
// Why a window, not a bitmap of the body: a whole page's bitmap is a
// sixty-fourth of it (16 KiB for 1 MiB, 2 MiB at the 128 MiB page bound),
// written in one pass and out of cache by the time the scanner reads its
// end. The decoder keeps instead the bitmap of the 4 KiB of body being
// scanned (stopWindow, 520 bytes inside the decoder, so on the stack for
// a page's decode as for validate and ShapeOf), refilled when a string
// starts past it: fixed memory whatever the body, the bitmap and its body
// in L1 while they are read, and each byte marked once. Filled only where
// a string is looked up, never ahead of the scan.
//
// Measured against the word loop (docs/architecture.md section 6 has the
// commands): BenchmarkDecodeOnePassword (1,000 1Password-shaped records,
// 794 KB) 6.79 to 5.64 million instructions a page in jsonrec (-17%),
// mispredicted branches 90,000 to 48,000 (cachegrind), CPU per page -14%
// (median of 12 interleaved pair ratios, 0.86; an A/A pair 0.98);
// BenchmarkDecodeReusing (one record shape repeated, which the word loop's
// branches learn) 7.68 to 6.79 million instructions (-12%), its CPU within
// the A/A spread. End to end, make bench's mix: 6-8% more events per CPU
// second (two orders of interleaved runs, geometric mean), peak RSS
// unchanged.

// A stopWindow covers winBytes of body, aligned: a multiple of 8 keeps
// each position's bit at a fixed place of its byte, and a window's base a
// multiple of winBytes makes a position's byte of the bitmap p/8 mod
// winBytes/8, with no subtraction of the base on the scanner's critical
// path.
const winBytes = 4096

// stopWindow is the bitmap of the string stops of b[base:base+winBytes],
// and of the 64 bytes after it so that a string starting near the end is
// looked up like any other: bit k of bits[j] is set when b[base+8j+k] is
// a stop, and every position at or past the body's end counts as one. The
// zero stopWindow is empty: every lookup misses, and fills it.
type stopWindow struct {
	bits   [winBytes/8 + 8]byte
	base   int
	filled bool
}

// plainEnd returns the index of the first stop after b[i] == '"' when
// the window holds it within 57 bytes of i: the closing quote of a string
// without escapes, the usual case, which the scanner takes without a call
// (this is inlined in scanLoop: eight bytes of bitmap loaded from i+1's
// byte, a shift, a count of trailing zeros, and no branch but the
// window's bound and the found test, both predicted). Otherwise it
// returns len(b), and the scanner calls decoder.scanString.
func (w *stopWindow) plainEnd(b []byte, i int) int {
	p := i + 1
	if uint(p-w.base) < winBytes {
		j := uint(p) / 8 % (winBytes / 8)
		if m := binary.LittleEndian.Uint64(w.bits[j:j+8]) >> (uint(p) % 8); m != 0 {
			return p + bits.TrailingZeros64(m)
		}
	}
	return len(b)
}

// scanString is scanString for the scanner, where plainEnd missed: the
// string's first stop is looked up word by word, the window refilled
// where it ends before the string; a quote there ends the string, any
// other stop sends it to scanString, which reads it whole.
func (d *decoder) scanString(i int) (end int, esc bool, err error) {
	b := d.buf
	if end := d.stops.slowEnd(b, i); end < len(b) && b[end] == '"' {
		return end + 1, false, nil
	}
	return scanString(b, i)
}

// slowEnd returns the index of the first stop after b[i] == '"', or
// len(b): plainEnd eight bytes of bitmap at a time, filling the window
// where it does not cover the string.
func (w *stopWindow) slowEnd(b []byte, i int) int {
	p := i + 1
	for {
		if !w.filled || uint(p-w.base) >= winBytes {
			w.fill(b, p)
		}
		j := uint(p-w.base) / 8
		if m := binary.LittleEndian.Uint64(w.bits[j:j+8]) >> (uint(p) % 8); m != 0 {
			return p + bits.TrailingZeros64(m)
		}
		// No stop up to the end of these 64 bits, which the body's end
		// would have been: p stays <= len(b).
		p += 64 - p%8
	}
}

// fill computes the window holding b[p]; p <= len(b).
func (w *stopWindow) fill(b []byte, p int) {
	w.base, w.filled = p&^(winBytes-1), true
	markStops(w.bits[:], b[w.base:min(len(b), w.base+8*len(w.bits))])
}

// markStops sets bit k of dst[j] when src[8j+k] is a string stop, and for
// every position 8j+k >= len(src): the end of the body ends any string.
// len(dst) is a multiple of 8.
func markStops(dst, src []byte) {
	n := stopBits(dst, src)
	if n == len(dst) {
		return
	}
	// Less than a block is left: the kernel marks it in a block padded
	// with quotes, stops.
	var tail [64]byte
	for k := copy(tail[:], src[8*n:]); k < len(tail); k++ {
		tail[k] = '"'
	}
	stopBits(dst[n:n+8], tail[:])
	for k := n + 8; k < len(dst); k++ {
		dst[k] = 0xff
	}
}

// stopBitsGo is the kernel in Go. For each whole 64-byte block of src
// that dst has eight bytes for, it sets bit k of dst[j] when src[8j+k] is
// a string stop; it returns the number of bytes of dst set. Eight bytes
// at a time, each byte's test exact (stringStops flags only the first stop
// of a word exactly): no operation carries from one byte into the next,
// because each sum is of seven-bit values. Then the eight flags, one per
// byte's high bit, are gathered into one byte by a multiplication whose
// partial products never overlap.
func stopBitsGo(dst, src []byte) int {
	n := min(len(dst)/8, len(src)/64)
	for w := range n {
		blk := src[64*w : 64*w+64]
		m := byteFlags(stopBytes(binary.LittleEndian.Uint64(blk[0:8]))) |
			byteFlags(stopBytes(binary.LittleEndian.Uint64(blk[8:16])))<<8 |
			byteFlags(stopBytes(binary.LittleEndian.Uint64(blk[16:24])))<<16 |
			byteFlags(stopBytes(binary.LittleEndian.Uint64(blk[24:32])))<<24 |
			byteFlags(stopBytes(binary.LittleEndian.Uint64(blk[32:40])))<<32 |
			byteFlags(stopBytes(binary.LittleEndian.Uint64(blk[40:48])))<<40 |
			byteFlags(stopBytes(binary.LittleEndian.Uint64(blk[48:56])))<<48 |
			byteFlags(stopBytes(binary.LittleEndian.Uint64(blk[56:64])))<<56
		binary.LittleEndian.PutUint64(dst[8*w:8*w+8], m)
	}
	return 8 * n
}

// stopBytes has the high bit set in every byte of x (little endian) that
// is a string stop, and only there. As in stringStops, x^0x02 maps the
// quote to 0x20 and the control bytes onto themselves, so that one test
// (< 0x21) finds both. Each test adds to a byte's low seven bits, so no
// sum carries into the next byte: l^0x02 + 0x5f reaches 0x80 exactly when
// l^0x02 >= 0x21, l^0x5c + 0x7f when l is not the backslash's 0x5c. A
// byte >= 0x80 is never a stop: its own high bit is or-ed in.
func stopBytes(x uint64) uint64 {
	l := x &^ msb
	notQuoteCtl := l ^ (lsb * 0x02) + lsb*0x5f
	notSlash := l ^ (lsb * '\\') + lsb*0x7f
	return ^(notQuoteCtl&notSlash | x) & msb
}

// byteFlags gathers the high bits of m's eight bytes, and nothing else,
// into one byte: byte j's bit (bit 8j+7) lands on bit 56+j of the product
// with 2^(56-7j), and is shifted down to bit j.
func byteFlags(m uint64) uint64 {
	return (m >> 7) * 0x0102040810204080 >> 56
}
