//go:build !purego

package jsonrec

// stopBits is stopBitsGo in SSE2 assembly (stops_amd64.s), sixteen bytes
// a step.
//
//go:noescape
func stopBits(dst, src []byte) int
