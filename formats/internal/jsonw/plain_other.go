//go:build !amd64 || purego

package jsonw

func appendPlainString(dst []byte, s string) ([]byte, bool) { return appendPlainStringGo(dst, s) }
