package main

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// writeBody prints a body as indented JSON: one document (a single event
// or an array batch), or NDJSON, one indented document per line. Anything
// else is printed as text, quoted when it is not valid UTF-8.
func writeBody(b *bytes.Buffer, body []byte) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		b.WriteString("  (empty body)\n")
		return
	}
	if json.Valid(trimmed) {
		writeIndented(b, trimmed)
		return
	}
	if lines, ok := ndjson(trimmed); ok {
		for _, line := range lines {
			writeIndented(b, line)
		}
		return
	}
	if !utf8.Valid(body) {
		b.WriteString(strconv.Quote(string(body)))
		b.WriteByte('\n')
		return
	}
	b.Write(body)
	if body[len(body)-1] != '\n' {
		b.WriteByte('\n')
	}
}

// ndjson splits a body into its lines when every non-empty line is JSON.
func ndjson(body []byte) ([][]byte, bool) {
	var lines [][]byte
	for _, line := range bytes.Split(body, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if !json.Valid(line) {
			return nil, false
		}
		lines = append(lines, line)
	}
	return lines, len(lines) > 1
}

func writeIndented(b *bytes.Buffer, doc []byte) {
	// doc is valid JSON, so Indent cannot fail; it keeps the sender's key
	// order, which a decode into a map would lose. Indent prefixes every
	// line but the first.
	b.WriteString("  ")
	_ = json.Indent(b, doc, "  ", "  ")
	b.WriteByte('\n')
}
