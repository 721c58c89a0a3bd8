package builtin

import (
	"os"
	"strings"
	"testing"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestJSONBatchOfOneAsTheReadmeSays: with the default json::batch (array),
// an event sent alone is the guide's object, not an array of one, and
// README.md's configuration table says so; two events are an array.
func TestJSONBatchOfOneAsTheReadmeSays(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	var row string
	for line := range strings.SplitSeq(string(readme), "\n") {
		if strings.HasPrefix(line, "| `json::batch`") {
			row = line
		}
	}
	require.NotEmpty(t, row, "README.md has a row for json::batch")
	assert.Contains(t, row, "a batch of one is the event's object", "README.md's json::batch row says what one event is sent as")

	enc := newJSON(JSONConfig{Batch: jsonArray})
	ev := formats.Event{Type: "file_shared_externally", Severity: "warning", Source: "sentyr"}
	for n, first := range map[int]byte{1: '{', 2: '['} {
		events := make([]formats.Event, n)
		for i := range events {
			events[i] = ev
		}
		b, err := enc.Encode(events)
		require.NoError(t, err)
		require.Len(t, b.Requests, 1)
		assert.Equal(t, string(first), string(b.Requests[0].Body[0]), "%d events: %s", n, b.Requests[0].Body)
		b.Release()
	}
}
