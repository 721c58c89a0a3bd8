//go:build !purego

#include "textflag.h"

// PLAIN16 sets AX to a bit per byte of X0 that is plain: above 0x1f as a
// signed byte (so neither a control character nor 0x80-0xff), and neither
// '"' (X6) nor '\\' (X7). X5 holds 0x1f in every byte.
#define PLAIN16 \
	MOVOU    X0, X1 \
	PCMPGTB  X5, X1 \
	MOVOU    X0, X2 \
	PCMPEQB  X6, X2 \
	MOVOU    X0, X3 \
	PCMPEQB  X7, X3 \
	POR      X3, X2 \
	PANDN    X1, X2 \
	PMOVMSKB X2, AX

// func appendPlainString(dst []byte, s string) (out []byte, ok bool)
TEXT ·appendPlainString(SB), NOSPLIT, $0-65
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), R12
	MOVQ dst_cap+16(FP), R13
	MOVQ s_base+24(FP), SI
	MOVQ s_len+32(FP), CX
	// out is dst until s is in.
	MOVQ DI, out_base+40(FP)
	MOVQ R12, out_len+48(FP)
	MOVQ R13, out_cap+56(FP)
	// Room for s and two quotes after len(dst)?
	MOVQ R13, AX
	SUBQ R12, AX
	LEAQ 2(CX), BX
	CMPQ AX, BX
	JB   notplain
	ADDQ R12, DI
	MOVB $0x22, (DI)
	INCQ DI
	// DI is where s goes, R12 where the closing quote goes.
	LEAQ (DI)(CX*1), R12
	MOVOU plainConsts<>+0(SB), X5
	MOVOU plainConsts<>+16(SB), X6
	MOVOU plainConsts<>+32(SB), X7
	CMPQ CX, $16
	JB   under16
	LEAQ -16(SI)(CX*1), DX
	LEAQ -16(DI)(CX*1), R8

loop16:
	CMPQ SI, DX
	JAE  last16
	MOVOU (SI), X0
	PLAIN16
	CMPL AX, $0xffff
	JNE  notplain
	MOVOU X0, (DI)
	ADDQ $16, SI
	ADDQ $16, DI
	JMP  loop16

last16:
	MOVOU (DX), X0
	PLAIN16
	CMPL AX, $0xffff
	JNE  notplain
	MOVOU X0, (R8)
	JMP  plain

under16:
	CMPQ CX, $8
	JB   under8
	MOVQ (SI), X0
	MOVQ -8(SI)(CX*1), X4
	MOVQ X0, R9
	MOVQ X4, R10
	PUNPCKLQDQ X4, X0
	PLAIN16
	CMPL AX, $0xffff
	JNE  notplain
	MOVQ R9, (DI)
	MOVQ R10, -8(DI)(CX*1)
	JMP  plain

under8:
	CMPQ CX, $4
	JB   under4
	MOVL (SI), R9
	MOVL -4(SI)(CX*1), R10
	MOVL R9, X0
	MOVL R10, X4
	PUNPCKLLQ X4, X0
	PLAIN16
	ANDL $0xff, AX
	CMPL AX, $0xff
	JNE  notplain
	MOVL R9, (DI)
	MOVL R10, -4(DI)(CX*1)
	JMP  plain

under4:
	TESTQ CX, CX
	JZ    plain
	MOVBLZX (SI), R9
	MOVQ    CX, BX
	SHRQ    $1, BX
	MOVBLZX (SI)(BX*1), R10
	MOVBLZX -1(SI)(CX*1), R11
	MOVL    R10, AX
	SHLL    $8, AX
	ORL     R9, AX
	MOVL    R11, DX
	SHLL    $16, DX
	ORL     DX, AX
	MOVL    AX, X0
	PLAIN16
	ANDL $7, AX
	CMPL AX, $7
	JNE  notplain
	MOVB R9, (DI)
	MOVB R10, (DI)(BX*1)
	MOVB R11, -1(DI)(CX*1)

plain:
	MOVB $0x22, (R12)
	MOVQ s_len+32(FP), CX
	LEAQ 2(CX), CX
	ADDQ CX, out_len+48(FP)
	MOVB $1, ok+64(FP)
	RET

notplain:
	MOVB $0, ok+64(FP)
	RET

// 0x1f, '"' and '\\' in every byte of a 16-byte vector each.
DATA plainConsts<>+0(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA plainConsts<>+8(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA plainConsts<>+16(SB)/8, $0x2222222222222222
DATA plainConsts<>+24(SB)/8, $0x2222222222222222
DATA plainConsts<>+32(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA plainConsts<>+40(SB)/8, $0x5c5c5c5c5c5c5c5c
GLOBL plainConsts<>(SB), RODATA|NOPTR, $48
