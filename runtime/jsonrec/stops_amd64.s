//go:build !purego

#include "textflag.h"

// MARK sets the low sixteen bits of R to the string stops of the sixteen
// bytes in X. x^0x82 (X8) maps the control bytes to 0x80-0x9f and the
// quote to 0xa0, as signed bytes the only values below -95 (X10); bytes
// >= 0x80 become positive. So one signed compare finds both, and one
// equality the backslash (X9). X4 and X5 are scratch; X is overwritten.
#define MARK(X, R) \
	MOVO     X, X4   \
	PXOR     X8, X4  \
	MOVO     X10, X5 \
	PCMPGTB  X4, X5  \
	PCMPEQB  X9, X   \
	POR      X5, X   \
	PMOVMSKB X, R

// func stopBits(dst []byte, src []byte) int
TEXT ·stopBits(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), DX
	SHRQ $3, CX    // words of dst
	SHRQ $6, DX    // whole 64-byte blocks of src
	CMPQ DX, CX
	CMOVQLT DX, CX // blocks to mark: the fewer
	MOVQ CX, AX
	SHLQ $3, AX
	MOVQ AX, ret+48(FP)
	TESTQ CX, CX
	JZ   done

	MOVQ       $0x8282828282828282, AX
	MOVQ       AX, X8
	PUNPCKLQDQ X8, X8
	MOVQ       $0x5c5c5c5c5c5c5c5c, AX
	MOVQ       AX, X9
	PUNPCKLQDQ X9, X9
	MOVQ       $0xa1a1a1a1a1a1a1a1, AX // -95
	MOVQ       AX, X10
	PUNPCKLQDQ X10, X10

loop:
	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	MARK(X0, AX)
	MARK(X1, BX)
	MARK(X2, R8)
	MARK(X3, R9)
	SHLQ  $16, BX
	ORQ   BX, AX
	SHLQ  $32, R8
	ORQ   R8, AX
	SHLQ  $48, R9
	ORQ   R9, AX
	MOVQ  AX, (DI) // little endian: bit k of dst[j] is src[8j+k]
	ADDQ  $64, SI
	ADDQ  $8, DI
	DECQ  CX
	JNZ   loop

done:
	RET
