//go:build !purego

package formats

// copyPlain is copyPlainGo in assembly, in plain_amd64.s.
//
//go:noescape
func copyPlain(dst []byte, s string) bool
