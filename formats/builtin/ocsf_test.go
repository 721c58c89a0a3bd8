package builtin

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/formatstest"
	"github.com/sentyr/webhookexporter/internal/fuzzdata"
	"github.com/sentyr/webhookexporter/internal/raceflag"
)

// ocsfEnvelopes take the OCSF documents out of a body of each format that
// carries them, in the order of the body's events: the format's own
// members around them are not the document's.
var ocsfEnvelopes = map[string]func(t testing.TB, body []byte) []map[string]any{
	"json": func(t testing.TB, body []byte) []map[string]any {
		if bytes.HasPrefix(body, []byte("[")) {
			return decodeOCSFValues(t, body, "")
		}
		return []map[string]any{mustDecodeOCSF(t, body)}
	},
	"splunk_hec": func(t testing.TB, body []byte) []map[string]any {
		return decodeOCSFValues(t, body, "event")
	},
	"elastic": func(t testing.TB, body []byte) []map[string]any {
		var docs []map[string]any
		lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
		for i := 1; i < len(lines); i += 2 {
			docs = append(docs, mustDecodeOCSF(t, []byte(lines[i])))
		}
		return docs
	},
	"secops": func(t testing.TB, body []byte) []map[string]any {
		var req struct {
			InlineSource struct {
				Logs []struct {
					Data []byte `json:"data"` // base64, as encoding/json reads []byte
				} `json:"logs"`
			} `json:"inlineSource"`
		}
		require.NoError(t, json.Unmarshal(body, &req))
		docs := make([]map[string]any, len(req.InlineSource.Logs))
		for i, l := range req.InlineSource.Logs {
			docs[i] = mustDecodeOCSF(t, l.Data)
		}
		return docs
	},
	"datadog_logs": func(t testing.TB, body []byte) []map[string]any {
		docs := decodeOCSFValues(t, body, "")
		for _, d := range docs {
			for _, intake := range []string{"ddsource", "ddtags", "hostname", "service", "status", "timestamp"} {
				if _, ok := d[intake]; !ok {
					t.Fatalf("datadog_logs: the entry has no %s", intake)
				}
				delete(d, intake)
			}
		}
		return docs
	},
}

func mustDecodeOCSF(t testing.TB, raw []byte) map[string]any {
	t.Helper()
	doc, err := decodeOCSF(raw)
	if err != nil {
		t.Fatalf("%v: %.200s", err, raw)
	}
	return doc
}

// decodeOCSFValues decodes a JSON array's objects, or objects one after
// another, each the document itself or under member.
func decodeOCSFValues(t testing.TB, body []byte, member string) []map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var values []map[string]any
	if bytes.HasPrefix(body, []byte("[")) {
		require.NoError(t, dec.Decode(&values))
	} else {
		for dec.More() {
			var v map[string]any
			require.NoError(t, dec.Decode(&v))
			values = append(values, v)
		}
	}
	if member == "" {
		return values
	}
	docs := make([]map[string]any, len(values))
	for i, v := range values {
		doc, ok := v[member].(map[string]any)
		require.True(t, ok, "no object under %s", member)
		docs[i] = doc
	}
	return docs
}

// ocsfCarriers are the formats of the table that carry the ocsf
// document, each built from its table entry with document: ocsf.
func ocsfCarriers(t testing.TB) map[string]Encoder {
	out := map[string]Encoder{}
	for _, b := range Builtins() {
		if !slices.Contains(b.Documents, DocumentOCSF) {
			continue
		}
		s, err := tableSettings(b)
		require.NoError(t, err)
		s.Document = DocumentOCSF
		require.NoError(t, b.Check(s), b.Name)
		out[b.Name], err = b.New(s)
		require.NoError(t, err, b.Name)
	}
	return out
}

// ocsfDocuments encodes events with every carrier and returns the
// documents of each, having checked that every event has one.
func ocsfDocuments(t testing.TB, events []formats.Event) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for name, enc := range ocsfCarriers(t) {
		envelope, ok := ocsfEnvelopes[name]
		require.True(t, ok, "%s carries the ocsf document: say in ocsfEnvelopes how to take it out of a body", name)
		batch, err := enc.Encode(events)
		require.NoError(t, err)
		require.Empty(t, batch.Rejected, name)
		for _, r := range batch.Requests {
			out[name] = append(out[name], envelope(t, r.Body)...)
		}
		require.Len(t, out[name], len(events), name)
		batch.Release()
	}
	return out
}

// guideExampleEvent is the event of Sentyr's webhook guide (the preview's
// built-in event) as the mapping makes it: a map body of four members.
func guideExampleEvent(t testing.TB) formats.Event {
	ev := serviceEvent(t)
	ev.Body = pcommon.NewValueMap()
	for _, kv := range [][2]string{{"file_id", "abc123"}, {"file_name", "sensitive.pdf"}, {"owner", "user@example.com"}, {"shared_with", "external@partner.com"}} {
		ev.Body.Map().PutStr(kv[0], kv[1])
	}
	for k, v := range ev.Body.Map().All() {
		ev.Data = append(ev.Data, formats.Field{Key: k, Value: v})
	}
	return ev
}

func requireOCSFValid(t *testing.T, schema *ocsfSchema, name string, docs []map[string]any) {
	t.Helper()
	for i, doc := range docs {
		if errs := schema.checkFinding(doc); len(errs) > 0 {
			raw, _ := json.Marshal(doc)
			t.Fatalf("%s: document %d departs from the schema:\n%v\n%.2000s", name, i, errs, raw)
		}
	}
}

// The guide's example event, at every severity and with the OCSF
// attributes mapped, is a Detection Finding of the pinned schema through
// every format that carries the document.
func TestOCSFDocumentsPassTheSchema(t *testing.T) {
	schema := loadOCSFSchema(t)
	var events []formats.Event
	for _, sev := range []string{formats.SeverityInfo, formats.SeverityWarning, formats.SeverityError, formats.SeverityCritical} {
		ev := guideExampleEvent(t)
		ev.Severity = sev
		events = append(events, ev)
	}
	mapped := serviceEvent(t, "user.name", "alice", "user.uid", "S-1-5-21", "src_endpoint.ip", "192.0.2.10",
		"src_endpoint.port", int64(51234), "src_endpoint.hostname", "laptop-7", "dst_endpoint.ip", "2001:db8::1",
		"dst_endpoint.port", int64(443), "dst_endpoint.hostname", "drive.example.com", "file.name", "q3.xlsx",
		"file.path", "/finance/q3.xlsx", "file_id", "abc123")
	events = append(events, mapped)
	for name, docs := range ocsfDocuments(t, events) {
		requireOCSFValid(t, schema, name, docs)
		assert.Equal(t, json.Number("3"), docs[1]["severity_id"], name)
		evidence := docs[4]["evidences"].([]any)[0].(map[string]any)
		assert.Equal(t, "alice", evidence["user"].(map[string]any)["name"], name)
		assert.Equal(t, json.Number("443"), evidence["dst_endpoint"].(map[string]any)["port"], name)
		assert.Equal(t, map[string]any{"name": "q3.xlsx", "path": "/finance/q3.xlsx", "type_id": json.Number("0")}, evidence["file"], name)
		unmapped := docs[4]["unmapped"].(map[string]any)
		assert.Equal(t, map[string]any{"file_id": "abc123"}, unmapped, "%s: the mapped attributes leave unmapped", name)
	}
	// json's NDJSON: a finding a line.
	body := encodeOCSF(t, "json", map[string]any{"json": map[string]any{"batch": "ndjson"}}, events...)
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	require.Len(t, lines, len(events))
	for _, line := range lines {
		requireOCSFValid(t, schema, "json ndjson", []map[string]any{mustDecodeOCSF(t, []byte(line))})
	}
}

// fuzzCorpusEvents are at least n events made by fuzzEvents from the
// encoders' fuzz corpus (testdata/fuzz), each input read from successive
// offsets until there are enough. Every other event also carries record
// attributes under the OCSF names, with the fuzzer's values: the mapping
// must take the valid ones and leave the others in unmapped.
func fuzzCorpusEvents(t testing.TB, n int) []formats.Event {
	var inputs [][]byte
	dirs, err := filepath.Glob(filepath.Join("testdata", "fuzz", "Fuzz*Encoder"))
	require.NoError(t, err)
	for _, dir := range dirs {
		files, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, f := range files {
			raw, err := os.ReadFile(filepath.Join(dir, f.Name()))
			require.NoError(t, err)
			for _, line := range strings.Split(string(raw), "\n") {
				if lit, ok := strings.CutPrefix(line, "[]byte("); ok {
					b, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
					require.NoError(t, err, line)
					inputs = append(inputs, []byte(b))
				}
			}
		}
	}
	require.NotEmpty(t, inputs)
	var events []formats.Event
	for offset := 0; len(events) < n; offset++ {
		for _, in := range inputs {
			if offset < len(in) || offset == 0 {
				events = append(events, formatstest.FuzzEvents(fuzzdata.New(in[min(offset, len(in)):]))...)
			}
		}
		if offset > 1<<16 {
			t.Fatalf("the corpus makes %d events, fewer than %d", len(events), n)
		}
	}
	for i := range events {
		ev := &events[i]
		ev.Attributes = pcommon.NewMap()
		if i%2 == 1 {
			continue
		}
		// The fuzzer's texts and values under the OCSF names, and a
		// valid address now and then.
		put := func(key string, v pcommon.Value) {
			v.CopyTo(ev.Attributes.PutEmpty(key))
			got, _ := ev.Attributes.Get(key)
			ev.Data = append(ev.Data, formats.Field{Key: key, Value: got})
		}
		put("user.name", pcommon.NewValueStr(ev.Type))
		put("user.uid", pcommon.NewValueStr(ev.ID))
		put("src_endpoint.hostname", pcommon.NewValueStr(ev.Source))
		put("dst_endpoint.ip", pcommon.NewValueStr(ev.Severity))
		put("src_endpoint.port", pcommon.NewValueInt(ev.Timestamp.UnixNano()%70000))
		if i%4 == 0 {
			put("src_endpoint.ip", pcommon.NewValueStr("192.0.2."+strconv.Itoa(i%256)))
		}
		for j, f := range slices.Clone(ev.Data) {
			put(ocsfAttributes[(i+j)%len(ocsfAttributes)].key, f.Value)
		}
	}
	return events
}

// A thousand events of the fuzz corpus, hostile bytes and all, are
// Detection Findings of the pinned schema through every carrier.
func TestOCSFFuzzCorpusPassesTheSchema(t *testing.T) {
	raceflag.SkipSingleGoroutine(t)
	schema := loadOCSFSchema(t)
	events := fuzzCorpusEvents(t, 1000)
	for name, docs := range ocsfDocuments(t, events) {
		requireOCSFValid(t, schema, name, docs)
		withEvidence := 0
		for _, d := range docs {
			if _, ok := d["evidences"]; ok {
				withEvidence++
			}
		}
		t.Logf("%s: %d documents, %d with evidence", name, len(docs), withEvidence)
	}
}

// The check fails a document that departs from the schema: it is not a
// reading of the encoder's own.
func TestOCSFSchemaCheckCanFail(t *testing.T) {
	schema := loadOCSFSchema(t)
	ev := serviceEvent(t, "src_endpoint.ip", "192.0.2.10", "src_endpoint.port", int64(443), "file.name", "q3.xlsx")
	enc := ocsfCarriers(t)["json"]
	batch, err := enc.Encode([]formats.Event{ev})
	require.NoError(t, err)
	valid := batch.Requests[0].Body
	require.Empty(t, schema.checkFinding(mustDecodeOCSF(t, valid)))

	for _, tt := range []struct {
		name, want string
		change     func(doc map[string]any)
	}{
		{"severity_id out of the enumeration", "severity_id: 7 is not one of", func(d map[string]any) { d["severity_id"] = json.Number("7") }},
		{"caption of another severity", `severity: High, the caption of severity_id 3 is "Medium"`, func(d map[string]any) { d["severity"] = "High" }},
		{"activity of another class", "activity_id: 4 is not one of", func(d map[string]any) { d["activity_id"] = json.Number("4") }},
		{"type_uid of another activity", `type_name: Detection Finding: Create, the caption of type_uid 200402 is "Detection Finding: Update"`,
			func(d map[string]any) { d["type_uid"] = json.Number("200402") }},
		{"type_uid of no activity", "type_uid: 200409 is not one of", func(d map[string]any) { d["type_uid"] = json.Number("200409") }},
		{"class_uid of another class", "class_uid: 2005 is not one of", func(d map[string]any) { d["class_uid"] = json.Number("2005") }},
		{"status of a finding", `status: Success, the caption of status_id 1 is "New"`, func(d map[string]any) { d["status"] = "Success" }},
		{"missing finding_info", "finding_info: required, missing", func(d map[string]any) { delete(d, "finding_info") }},
		{"missing metadata.version", "metadata.version: required, missing", func(d map[string]any) { delete(d["metadata"].(map[string]any), "version") }},
		{"missing finding_info.uid", "finding_info.uid: required, missing", func(d map[string]any) { delete(d["finding_info"].(map[string]any), "uid") }},
		{"time as text", "time: string", func(d map[string]any) { d["time"] = "1761739200000" }},
		{"time_dt not RFC 3339", "time_dt: \"29/10/2025\" does not match", func(d map[string]any) { d["time_dt"] = "29/10/2025" }},
		{"unknown attribute", "sentyr: not an attribute", func(d map[string]any) { d["sentyr"] = "x" }},
		{"not an IP address", "evidences[0].src_endpoint.ip: \"999.1.1.1\" does not match", func(d map[string]any) {
			d["evidences"].([]any)[0].(map[string]any)["src_endpoint"].(map[string]any)["ip"] = "999.1.1.1"
		}},
		{"port out of range", "evidences[0].src_endpoint.port: 70000 is out of", func(d map[string]any) {
			d["evidences"].([]any)[0].(map[string]any)["src_endpoint"].(map[string]any)["port"] = json.Number("70000")
		}},
		{"empty evidence", "evidences[0]: needs at least one of", func(d map[string]any) { d["evidences"] = []any{map[string]any{}} }},
		{"file without its type", "evidences[0].file.type_id: required, missing", func(d map[string]any) {
			delete(d["evidences"].([]any)[0].(map[string]any)["file"].(map[string]any), "type_id")
		}},
		{"file type out of the enumeration", "evidences[0].file.type_id: 9 is not one of", func(d map[string]any) {
			d["evidences"].([]any)[0].(map[string]any)["file"].(map[string]any)["type_id"] = json.Number("9")
		}},
		{"types not an array", "finding_info.types: string", func(d map[string]any) { d["finding_info"].(map[string]any)["types"] = "x" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := mustDecodeOCSF(t, valid)
			tt.change(doc)
			errs := schema.checkFinding(doc)
			require.NotEmpty(t, errs)
			assert.Contains(t, errorsText(errs), tt.want)
		})
	}
}

func errorsText(errs []error) string {
	var b strings.Builder
	for _, err := range errs {
		b.WriteString(err.Error())
		b.WriteByte('\n')
	}
	return b.String()
}

var updateOCSFGoldens = flag.Bool("update-ocsf-goldens", false, "rewrite testdata/golden/ocsf/*.json")

// Each carrier's body for the guide's example event is its golden file,
// testdata/golden/ocsf/<format>.json, whose documents pass the schema
// (go test -run TestOCSFGoldens -update-ocsf-goldens rewrites them). The
// e2e test compares the distribution's requests with the same files.
func TestOCSFGoldens(t *testing.T) {
	schema := loadOCSFSchema(t)
	for name, enc := range ocsfCarriers(t) {
		t.Run(name, func(t *testing.T) {
			batch, err := enc.Encode([]formats.Event{guideExampleEvent(t)})
			require.NoError(t, err)
			require.Len(t, batch.Requests, 1)
			body := batch.Requests[0].Body
			requireOCSFValid(t, schema, name, ocsfEnvelopes[name](t, body))
			golden := filepath.Join("testdata", "golden", "ocsf", name+".json")
			if *updateOCSFGoldens {
				require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
				require.NoError(t, os.WriteFile(golden, body, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "go test -run TestOCSFGoldens -update-ocsf-goldens writes it")
			assert.Equal(t, string(want), string(body))
		})
	}
}

// docs/ocsf.md shows the HEC event and the Datadog Logs entry of the
// guide's example event: each block is the golden body, value for value.
func TestOCSFDocsShowTheGoldens(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "ocsf.md"))
	require.NoError(t, err)
	var blocks []string
	for _, part := range strings.Split(string(raw), "```json\n")[1:] {
		block, _, ok := strings.Cut(part, "```")
		require.True(t, ok)
		blocks = append(blocks, block)
	}
	shown := []string{"splunk_hec", "datadog_logs"}
	require.Len(t, blocks, len(shown))
	for i, name := range shown {
		golden, err := os.ReadFile(filepath.Join("testdata", "golden", "ocsf", name+".json"))
		require.NoError(t, err)
		var want, got any
		require.NoError(t, json.Unmarshal(golden, &want))
		require.NoError(t, json.Unmarshal([]byte(blocks[i]), &got), "docs/ocsf.md's %s block", name)
		assert.Equal(t, want, got, "docs/ocsf.md's %s block is not the golden testdata/golden/ocsf/%s.json", name, name)
	}
}
