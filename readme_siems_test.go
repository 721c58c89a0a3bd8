package webhookexporter

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/testsink/ddsink"
)

// readmeJSONBlocks returns the ```json blocks of README's section named
// title, in order.
func readmeJSONBlocks(t *testing.T, title string) []string {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, section, found := strings.Cut(string(readme), "\n## "+title+"\n")
	require.True(t, found, "README has a section %q", title)
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	return jsonBlocks(section)
}

// jsonBlocks returns the ```json blocks of a Markdown text, in order.
func jsonBlocks(section string) []string {
	var blocks []string
	for _, part := range strings.Split(section, "```json\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		blocks = append(blocks, block)
	}
	return blocks
}

type columnList []struct{ Name, Type string }

// The table's schema and the DCR's stream declaration in docs/sentinel.md name
// the columns the encoder writes, with their types, and the README's row
// is the golden one.
func TestReadmeSentinelSchemaMatchesTheEncoder(t *testing.T) {
	rows := readmeJSONBlocks(t, "Microsoft Sentinel")
	require.Len(t, rows, 1, "the README's example row")
	doc, err := os.ReadFile("docs/sentinel.md")
	require.NoError(t, err)
	snippets := jsonBlocks(string(doc))
	require.Len(t, snippets, 1, "docs/sentinel.md's table/DCR snippet")

	var snippet struct {
		Table struct {
			Properties struct {
				Schema struct {
					Name    string
					Columns columnList
				}
			}
		}
		DataCollectionRule struct {
			Properties struct {
				StreamDeclarations map[string]struct{ Columns columnList }
				DataFlows          []struct {
					Streams      []string
					OutputStream string
				}
			}
		} `json:"dataCollectionRule"`
	}
	require.NoError(t, json.Unmarshal([]byte(snippets[0]), &snippet))
	want := columnList(builtin.SentinelColumns)
	assert.Equal(t, want, snippet.Table.Properties.Schema.Columns, "the table's schema")
	streams := snippet.DataCollectionRule.Properties.StreamDeclarations
	require.Len(t, streams, 1)
	for name, decl := range streams {
		assert.True(t, strings.HasPrefix(name, "Custom-"), name)
		assert.Equal(t, want, decl.Columns, "the stream declaration")
		flows := snippet.DataCollectionRule.Properties.DataFlows
		require.Len(t, flows, 1)
		assert.Equal(t, []string{name}, flows[0].Streams)
		assert.Equal(t, "Custom-"+snippet.Table.Properties.Schema.Name, flows[0].OutputStream)
	}

	// The row the README shows is the golden row, and what the encoder
	// writes has these columns with these JSON types.
	var row map[string]any
	require.NoError(t, json.Unmarshal([]byte(rows[0]), &row))
	var golden []map[string]any
	require.NoError(t, json.Unmarshal([]byte(readGolden(t, "sentinel.json")), &golden))
	row["EventId"] = golden[0]["EventId"]
	assert.Equal(t, golden[0], row)
	for _, c := range builtin.SentinelColumns {
		v, ok := golden[0][c.Name]
		require.True(t, ok, c.Name)
		switch c.Type {
		case "string", "datetime":
			assert.IsType(t, "", v, c.Name)
		case "dynamic":
			assert.IsType(t, map[string]any{}, v, c.Name)
		}
	}
}

// The README's Datadog Logs entry is what its config makes of the guide's
// example event.
func TestReadmeDatadogLogsEntry(t *testing.T) {
	blocks := readmeJSONBlocks(t, "Datadog Logs (Cloud SIEM)")
	require.Len(t, blocks, 1)
	var want map[string]any
	require.NoError(t, json.Unmarshal([]byte(blocks[0]), &want))

	s := ddsink.NewLogs(t)
	cfg := withoutQueue(ddLogsCfg(s))
	cfg.DatadogLogs.Tags = []string{"env:prod"}
	cfg.DatadogLogs.TagAttributes = []string{"user.name"}
	exp := startExporter(t, cfg)
	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample)))
	accepted, _, _, _ := s.Seen()
	require.Len(t, accepted, 1)
	got := accepted[0].Entries[0]
	want["event_id"] = got["event_id"]
	assert.Equal(t, want, got)
}
