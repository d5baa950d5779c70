//go:build !amd64 || purego

package jsonrec

// stopBits is the kernel, in Go where there is no assembly for it.
func stopBits(dst, src []byte) int { return stopBitsGo(dst, src) }
