package jsonrec

import "testing"

// BenchmarkStopBits marks the string stops of a page of 1Password-shaped
// records, with the kernel this build uses and with the Go one.
func BenchmarkStopBits(b *testing.B) {
	page := onePasswordPage(100)
	dst := make([]byte, len(page)/8)
	for _, k := range []struct {
		name string
		f    func(dst, src []byte) int
	}{{"kernel", stopBits}, {"go", stopBitsGo}} {
		b.Run(k.name, func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			for b.Loop() {
				k.f(dst, page)
			}
		})
	}
}
