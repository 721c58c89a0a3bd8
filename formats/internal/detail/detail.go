// Package detail bounds what user code and the template engine say about
// a failed event (a panic's value, an engine error) before it reaches a log
// line: such messages can quote event content.
package detail

import "strings"

// maxBytes bounds a detail in a log line.
const maxBytes = 300

// Clip cuts s to maxBytes and makes it valid UTF-8.
func Clip(s string) string {
	if len(s) > maxBytes {
		s = s[:maxBytes] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
