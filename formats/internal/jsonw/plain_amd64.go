//go:build !purego

package jsonw

// appendPlainString is appendPlainStringGo in assembly, in plain_amd64.s.
//
//go:noescape
func appendPlainString(dst []byte, s string) (out []byte, ok bool)
