package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/redact"
)

// readmeConfigs gives the preview's arguments for a README section whose
// payload has no YAML block of its own beside it.
var readmeConfigs = map[string][]string{
	// "Post one: curl ... -d @examples/event.otlp.json and the receiver
	// prints" the payload.
	"Quickstart": {"-config", "../../examples/quickstart.yaml", "-otlp", "../../examples/event.otlp.json"},
}

// readmeSection is one "## " section of README.md with its fenced blocks.
type readmeSection struct {
	title      string
	yaml, json []string
	yamlLine   []int // README line of each yaml block's fence
	jsonLine   []int
}

// readmeSections splits README.md into its "## " sections and their
// ```yaml and ```json blocks.
func readmeSections(t *testing.T) []*readmeSection {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	lines := strings.Split(string(b), "\n")
	s := &readmeSection{title: "(top)"}
	sections := []*readmeSection{s}
	for i := 0; i < len(lines); i++ {
		if title, ok := strings.CutPrefix(lines[i], "## "); ok {
			s = &readmeSection{title: title}
			sections = append(sections, s)
			continue
		}
		fence := strings.TrimSpace(lines[i])
		if fence != "```yaml" && fence != "```json" {
			continue
		}
		start := i
		var block []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			block = append(block, lines[i])
		}
		require.Less(t, i, len(lines), "README.md:%d: the block is not closed", start+1)
		if fence == "```yaml" {
			s.yaml, s.yamlLine = append(s.yaml, strings.Join(block, "\n")+"\n"), append(s.yamlLine, start+1)
		} else {
			s.json, s.jsonLine = append(s.json, strings.Join(block, "\n")), append(s.jsonLine, start+1)
		}
	}
	return sections
}

// TestReadmePayloads: every ```json block of README.md is a payload, and it
// is the body the command prints for its section's configuration and the
// guide's example event: the section's YAML block that holds a webhook
// exporter (as a configuration file on its own), or the arguments in
// readmeConfigs. README may wrap lines and put spaces between tokens;
// everything else (members, their order, numbers, escapes) is compared as
// sent, value by value for NDJSON. One rule shortens it: an object stands
// for a body that is an array of exactly that one object (datadog_logs and
// sentinel send arrays of entries; README shows the entry).
//
// Every other README YAML block with a webhook exporter is previewed too
// and must send a request with nothing dropped.
func TestReadmePayloads(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	sections := readmeSections(t)
	checked := 0
	for _, s := range sections {
		t.Run(s.title, func(t *testing.T) {
			type preview struct{ out, endpoint string }
			var withExporter []preview // of the section's YAML blocks with a webhook exporter
			for i, y := range s.yaml {
				cfg := filepath.Join(t.TempDir(), "block.yaml")
				require.NoError(t, os.WriteFile(cfg, []byte(y), 0o600))
				conf, err := loadConfig(context.Background(), cfg)
				require.NoError(t, err, "README.md:%d", s.yamlLine[i])
				if _, _, err := pickExporter(conf, ""); err != nil {
					continue
				}
				out, endpoint := previewReadme(t, fmt.Sprintf("README.md:%d", s.yamlLine[i]), "-config", cfg)
				withExporter = append(withExporter, preview{out, endpoint})
			}
			if len(s.json) == 0 {
				_, listed := readmeConfigs[s.title]
				assert.False(t, listed, "readmeConfigs names %q, which shows no payload", s.title)
				return
			}
			require.Len(t, s.json, 1, "README.md:%v: a section shows one payload", s.jsonLine)
			var p preview
			if args, listed := readmeConfigs[s.title]; listed {
				p.out, p.endpoint = previewReadme(t, fmt.Sprint(args), args...)
			} else {
				require.Len(t, withExporter, 1, "README.md:%d: the payload's section needs one YAML block with a webhook exporter, or an entry in readmeConfigs", s.jsonLine[0])
				p = withExporter[0]
			}
			bodies := printedBodies(p.out, p.endpoint)
			require.Len(t, bodies, 1, "one request to %s in:\n%s", p.endpoint, p.out)

			shown, err := jsonValues(s.json[0])
			require.NoError(t, err, "README.md:%d", s.jsonLine[0])
			sent, err := jsonValues(bodies[0])
			require.NoError(t, err, "the printed body")
			if len(shown) == 1 && strings.HasPrefix(shown[0], "{") && len(sent) == 1 && strings.HasPrefix(sent[0], "[") {
				var entries []json.RawMessage
				require.NoError(t, json.Unmarshal([]byte(sent[0]), &entries))
				if len(entries) == 1 && bytes.HasPrefix(entries[0], []byte("{")) {
					sent = []string{string(entries[0])}
				}
			}
			assert.Equal(t, indented(t, sent), indented(t, shown), "README.md:%d is not the body the command prints (-: printed, +: README)", s.jsonLine[0])
			checked++
		})
	}
	// A payload under a fence the split above does not take (```jsonc,
	// ```json5, ...) would go unchecked: count every ```json.
	assert.Equal(t, strings.Count(string(readme), "```json"), checked, "every ```json block of README.md is checked")
	assert.NotZero(t, checked)
}

// previewReadme runs the command with args, a README configuration,
// requires it to send without dropping anything, and returns its output and
// the exporter's configured endpoint as printed (query values redacted).
func previewReadme(t *testing.T, where string, args ...string) (string, string) {
	t.Helper()
	require.Equal(t, "-config", args[0], where)
	out, errOut, code := previewOut(t, args...)
	require.Equal(t, 0, code, "%s: %s", where, errOut)
	assert.NotContains(t, out, "no request would be sent", where)
	assert.NotContains(t, out, "\ndropped: ", where)
	conf, err := loadConfig(context.Background(), args[1])
	require.NoError(t, err, where)
	_, exp, err := pickExporter(conf, "")
	require.NoError(t, err, where)
	endpoint, _ := exp.Get("endpoint").(string)
	format, _ := exp.Get("format").(string)
	// As the preview shows it: a credential in the path is redacted too.
	return out, redact.New(builtin.EndpointSecretsOf(format, endpoint)...).String(redact.MaskedURL(endpoint, redactedMark), 0)
}

var requestLine = regexp.MustCompile(`^[A-Z]+ (\S+)$`)

// printedBodies returns the body of each request the preview printed for
// url: the lines after its headers (and after the note on compression) up
// to the next blank line.
func printedBodies(out, url string) []string {
	lines := strings.Split(out, "\n")
	var bodies []string
	for i := 0; i < len(lines); i++ {
		m := requestLine.FindStringSubmatch(lines[i])
		if m == nil || m[1] != url || (i > 0 && lines[i-1] != "") {
			continue
		}
		for i++; i < len(lines) && lines[i] != ""; i++ { // headers
		}
		i++
		if i < len(lines) && strings.HasSuffix(lines[i], "decompressed:)") {
			i++
		}
		start := i
		for ; i < len(lines) && lines[i] != ""; i++ {
		}
		bodies = append(bodies, strings.Join(lines[start:i], "\n"))
	}
	return bodies
}

// jsonValues returns the JSON values of s in order, each compacted: one for
// a JSON document, one per line for NDJSON.
func jsonValues(s string) ([]string, error) {
	d := json.NewDecoder(strings.NewReader(s))
	var vals []string
	for {
		var raw json.RawMessage
		err := d.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return vals, nil
		}
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return nil, err
		}
		vals = append(vals, b.String())
	}
}

// indented shows compacted values one member a line, for a readable diff.
func indented(t *testing.T, vals []string) string {
	t.Helper()
	var b bytes.Buffer
	for _, v := range vals {
		require.NoError(t, json.Indent(&b, []byte(v), "", "  "))
		b.WriteByte('\n')
	}
	return b.String()
}
