package builtin

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sentyr/webhookexporter/formats"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// severityRank orders the severities; one the mapping does not know (it
// gives only these four) ranks as info.
func severityRank(severity string) int {
	switch severity {
	case formats.SeverityWarning:
		return 1
	case formats.SeverityError:
		return 2
	case formats.SeverityCritical:
		return 3
	}
	return 0
}

// Threshold is the least severity of the events an exporter sends
// (min_severity): a pager takes only what should wake someone, while the
// SIEM beside it takes everything.
type Threshold struct {
	// MinSeverity is info, warning, error or critical; "" sends every event.
	MinSeverity string `mapstructure:"min_severity"`
}

// Check checks the threshold at config load.
func (t Threshold) Check() error {
	switch t.MinSeverity {
	case "", formats.SeverityInfo, formats.SeverityWarning, formats.SeverityError, formats.SeverityCritical:
		return nil
	}
	return fmt.Errorf("min_severity: %q is not a severity; write info, warning, error or critical (or leave it out to send every event)", t.MinSeverity)
}

// Below says that an event of severity is below the threshold: a filter
// the user asked for, so it is counted, not sent and not dead-lettered.
func (t Threshold) Below(severity string) bool {
	return t.MinSeverity != "" && severityRank(severity) < severityRank(t.MinSeverity)
}

// alertScratch is what writing an event's summary needs, reused for every
// event of a batch.
type alertScratch struct {
	text, line []byte
	fields     []formats.Field
}

// summary is an event's one-line summary for a pager or a chat: its type
// and the first summaryFields scalar data fields as key=value, by key, so
// that the same record gives the same summary whatever order its fields
// came in; at most limit characters, ending in "…" when cut. Newlines and
// other control characters become spaces. The work stops at the limit,
// whatever the event's size. The text is the scratch's until its next use.
func (s *alertScratch) summary(ev *formats.Event, limit int) []byte {
	room := maxTextBytes(limit) + utf8.UTFMax
	b := appendOneLine(s.text[:0], ev.Type, room)
	fields := s.fields[:0]
	for _, f := range ev.Data {
		if len(fields) == summaryFields {
			break
		}
		switch f.Value.Type() {
		case pcommon.ValueTypeMap, pcommon.ValueTypeSlice, pcommon.ValueTypeBytes, pcommon.ValueTypeEmpty:
			continue
		}
		fields = append(fields, f)
	}
	slices.SortStableFunc(fields, func(a, b formats.Field) int { return strings.Compare(a.Key, b.Key) })
	sep := ": "
	for _, f := range fields {
		if len(b) >= room {
			break
		}
		b = append(b, sep...)
		sep = ", "
		b = appendOneLine(b, f.Key, room)
		b = append(b, '=')
		if f.Value.Type() == pcommon.ValueTypeStr {
			b = appendOneLine(b, f.Value.Str(), room)
		} else {
			b = append(b, f.Value.AsString()...)
		}
	}
	clear(fields) // keeps no event's values
	s.text, s.fields = b, fields[:0]
	return truncateRuneBytes(b, limit)
}

// summaryFields is how many data fields a summary may show.
const summaryFields = 32

// appendOneLine appends s with control characters as spaces, while dst
// holds less than room bytes.
func appendOneLine(dst []byte, s string, room int) []byte {
	for i := 0; i < len(s) && len(dst) < room; i++ {
		c := s[i]
		switch {
		case c < 0x20 || c == 0x7f:
			c = ' '
		case c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9): // U+2028, U+2029
			i += 2
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

// sortedFields are the first n fields of data, by key: a chat shows them
// in the same order whatever order the record's fields came in, and only
// so many can be shown. They are the scratch's until its next use.
func (s *alertScratch) sortedFields(data []formats.Field, n int) []formats.Field {
	fields := append(s.fields[:0], data[:min(max(n, 0), len(data))]...)
	slices.SortStableFunc(fields, func(a, b formats.Field) int { return strings.Compare(a.Key, b.Key) })
	s.fields = fields
	return fields
}
