package formats

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A batch writes each event exactly as the event written alone, whether
// its header (source, type, severity) repeats one of the last few, differs
// from it in one of the three, or was pushed out by newer ones.
func TestBatchesWriteRememberedHeadersAsTheEventAlone(t *testing.T) {
	header := func(source, eventType, severity string) Event {
		ev := serviceEvent(t, "n", 1)
		ev.Source, ev.Type, ev.Severity = source, eventType, severity
		return ev
	}
	var events []Event
	for _, h := range [][3]string{
		{"sentyr", "file_shared_externally", SeverityWarning},
		{"sentyr", "file_shared_externally", SeverityWarning}, // the same
		{"sentyr", "file_shared_externally", SeverityError},   // severity differs
		{"sentyr", "pii_detected", SeverityWarning},           // type differs
		{"other", "file_shared_externally", SeverityWarning},  // source differs
		{"sentyr", `x","admin":true,"y":"` + "\n\xff", SeverityInfo},
		{"sentyr", "t5", SeverityInfo}, {"sentyr", "t6", SeverityInfo}, {"sentyr", "t7", SeverityInfo},
		{"sentyr", "file_shared_externally", SeverityWarning}, // pushed out by now
		{"sentyr", "t7", SeverityInfo},
	} {
		events = append(events, header(h[0], h[1], h[2]))
	}
	for name, tc := range map[string]struct {
		enc   Encoder
		alone func(dst []byte, ev *Event) []byte
		sep   string
	}{
		"json":       {NewJSON(JSONConfig{Batch: JSONNDJSON}), NewJSON(JSONConfig{}).AppendEvent, "\n"},
		"splunk_hec": {NewSplunkHEC(SplunkHECConfig{Token: "t", MaxRequestBytes: 1 << 20}), NewSplunkHEC(SplunkHECConfig{Token: "t"}).AppendEvent, ""},
	} {
		t.Run(name, func(t *testing.T) {
			batch, err := tc.enc.Encode(events)
			require.NoError(t, err)
			require.Len(t, batch.Requests, 1)
			var want strings.Builder
			for i := range events {
				want.Write(tc.alone(nil, &events[i]))
				want.WriteString(tc.sep)
			}
			assert.Equal(t, want.String(), string(batch.Requests[0].Body))
		})
	}
}
