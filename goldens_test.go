package webhookexporter

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// goldenEventID stands in a golden payload for the event's id, a digest
// of the whole record, which the test builds from a map in no fixed order.
const goldenEventID = "<the event id>"

// goldenElsewhere are the formats whose golden payload is not made with
// their table settings, and the test that checks it.
var goldenElsewhere = map[string]string{
	// The guide's template, of examples/custom-template.yaml.
	"custom": "TestCustomSeedTemplateFromExampleYAML",
}

// Every built-in format sends the guide's example event, with its table
// settings, as its golden payload formats/builtin/testdata/golden/<format>.json: one
// document, or an array of them for a service that takes arrays.
func TestEveryFormatSendsItsGoldenPayload(t *testing.T) {
	for _, b := range builtin.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			if test, ok := goldenElsewhere[b.Name]; ok {
				t.Skipf("its golden payload is checked by %s", test)
			}
			raw, err := os.ReadFile(filepath.Join("formats", "builtin", "testdata", "golden", b.Name+".json"))
			require.NoError(t, err, "write the format's payload for the guide's example event in formats/builtin/testdata/golden/%s.json", b.Name)
			var want any
			require.NoError(t, json.Unmarshal(raw, &want))

			sink := testsink.New(t, b)
			conf := map[string]any{"endpoint": sink.Endpoint(), "format": b.Name}
			maps.Copy(conf, sink.Settings())
			cfg := NewFactory().CreateDefaultConfig().(*Config)
			require.NoError(t, confmap.NewFromStringMap(conf).Unmarshal(cfg))
			exp := startExporter(t, withoutQueue(cfg))
			require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample)))

			taken := sink.Taken()
			require.Len(t, taken, 1, "%v", sink.Requests())
			var docs []any
			for _, body := range taken[0].EventBodies {
				var doc any
				require.NoError(t, json.Unmarshal(body, &doc))
				docs = append(docs, doc)
			}
			if list, ok := want.([]any); ok {
				assertGolden(t, list, docs)
			} else {
				assertGolden(t, []any{want}, docs)
			}
		})
	}
}

// assertGolden compares got with the golden want, where goldenEventID
// stands for any event id and a string holding a JSON object (Datadog's
// text) is compared parsed, its keys in any order.
func assertGolden(t *testing.T, want, got any) {
	t.Helper()
	assert.Equal(t, normalGolden(want, got), got)
}

// normalGolden is want with its stand-ins replaced by what got holds
// where got matches them.
func normalGolden(want, got any) any {
	switch w := want.(type) {
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return want
		}
		out := make([]any, len(w))
		for i := range w {
			out[i] = normalGolden(w[i], g[i])
		}
		return out
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return want
		}
		out := make(map[string]any, len(w))
		for k, v := range w {
			out[k] = normalGolden(v, g[k])
		}
		return out
	case string:
		g, ok := got.(string)
		if !ok {
			return want
		}
		if w == goldenEventID && eventIDForm.MatchString(g) {
			return g
		}
		var wv, gv map[string]any
		if json.Unmarshal([]byte(w), &wv) == nil && json.Unmarshal([]byte(g), &gv) == nil && assert.ObjectsAreEqual(wv, gv) {
			return g
		}
	}
	return want
}
