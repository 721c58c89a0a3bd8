//go:build !amd64 || purego

package formats

func copyPlain(dst []byte, s string) bool { return copyPlainGo(dst, s) }
