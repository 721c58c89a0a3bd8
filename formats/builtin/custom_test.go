package builtin

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/formatstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newCustomEncoder(t testing.TB, cfg CustomConfig) *customEncoder {
	t.Helper()
	require.NoError(t, cfg.check())
	enc, err := newCustom(cfg)
	require.NoError(t, err)
	return enc
}

// renderOne encodes one event and returns its body, failing on a rejection.
func renderOne(t testing.TB, enc *customEncoder, ev formats.Event) []byte {
	t.Helper()
	batch, err := enc.Encode([]formats.Event{ev})
	require.NoError(t, err)
	require.Empty(t, batch.Rejected)
	require.Len(t, batch.Requests, 1)
	return batch.Requests[0].Body
}

func TestCustomSeedTemplateGivesSeedPayload(t *testing.T) {
	enc := newCustomEncoder(t, CustomConfig{Template: formatstest.GuideTemplate})
	body := renderOne(t, enc, formatstest.GuideEvent(t, formatstest.GuideData))
	assert.JSONEq(t, formatstest.GuidePayload(t), string(body))
	assert.Equal(t, "application/json", enc.ContentType())
}

func TestCustomKeepsHostileValuesInsideTheirStrings(t *testing.T) {
	templates := map[string]string{
		"seed":        formatstest.GuideTemplate,
		"plain":       `{"user": "{{ event_data.owner }}", "role": "viewer"}`,
		"filtered":    `{"user": "{{ event_data.owner | trim | replace('a', 'a') }}", "role": "viewer"}`,
		"html escape": `{"user": "{{ event_data.owner | e }}", "role": "viewer"}`,
		"conditional": `{"user": "{{ event_data.owner if event_data.owner else 'none' }}", "role": "viewer"}`,
		"set":         `{% set u = event_data.owner %}{"user": "{{ u }}", "role": "viewer"}`,
		"set block":   `{% set u %}{{ event_data.owner }}{% endset %}{"user": "{{ u }}", "role": "viewer"}`,
		"concat":      `{"user": "{{ 'user ' ~ event_data.owner }}", "role": "viewer"}`,
	}
	for name, src := range templates {
		enc := newCustomEncoder(t, CustomConfig{Template: src})
		for _, hostile := range formatstest.HostileStrings {
			t.Run(name+"/"+hostile, func(t *testing.T) {
				data := map[string]any{"owner": hostile, "file_name": hostile, "shared_with": hostile}
				body := renderOne(t, enc, formatstest.GuideEvent(t, data))
				require.True(t, json.Valid(body), "%s", body)
				var got map[string]any
				require.NoError(t, json.Unmarshal(body, &got))
				want := asDecoded(hostile)
				switch name {
				case "seed":
					require.Equal(t, []string{"alert"}, keysOf(got))
					alert := got["alert"].(map[string]any)
					require.ElementsMatch(t, []string{"type", "level", "time", "details"}, keysOf(alert))
					details := alert["details"].(map[string]any)
					require.ElementsMatch(t, []string{"file", "owner", "recipient"}, keysOf(details))
					for _, k := range []string{"file", "owner", "recipient"} {
						assert.Equal(t, want, details[k])
					}
				case "html escape":
					// gonja's escape filter is HTML escaping: the value
					// changes, but it stays inside its string.
					require.ElementsMatch(t, []string{"user", "role"}, keysOf(got))
					assert.Equal(t, "viewer", got["role"])
				case "filtered":
					require.ElementsMatch(t, []string{"user", "role"}, keysOf(got))
					assert.Equal(t, strings.TrimSpace(want), got["user"])
				case "concat":
					require.ElementsMatch(t, []string{"user", "role"}, keysOf(got))
					assert.Equal(t, "user "+want, got["user"])
				default:
					require.ElementsMatch(t, []string{"user", "role"}, keysOf(got))
					assert.Equal(t, want, got["user"])
					assert.Equal(t, "viewer", got["role"])
				}
			})
		}
	}
}

func TestCustomKeepsHostileKeysInsideTheirStrings(t *testing.T) {
	enc := newCustomEncoder(t, CustomConfig{Template: `{"fields": { {%- for k, v in event_data | dictsort -%}
"{{ k }}": "{{ v }}"{% if not loop.last %},{% endif %}
{%- endfor -%} }, "role": "viewer"}`})
	data := map[string]any{}
	for i, h := range formatstest.HostileStrings {
		data[strings.Repeat("k", i+1)+h] = h
	}
	body := renderOne(t, enc, formatstest.GuideEvent(t, data))
	var got map[string]any
	require.NoError(t, json.Unmarshal(body, &got), "%s", body)
	require.ElementsMatch(t, []string{"fields", "role"}, keysOf(got))
	fields := got["fields"].(map[string]any)
	require.Len(t, fields, len(formatstest.HostileStrings))
	for i, h := range formatstest.HostileStrings {
		assert.Equal(t, asDecoded(h), fields[asDecoded(strings.Repeat("k", i+1)+h)])
	}
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestCustomToJSON(t *testing.T) {
	data := map[string]any{
		"list":   []any{"ssn", "email", int64(3)},
		"map":    map[string]any{"b": int64(1), "a": "x"},
		"int":    int64(-42),
		"float":  2.5,
		"nan":    math.NaN(),
		"inf":    math.Inf(1),
		"true":   true,
		"false":  false,
		"str":    `x", "admin": true, "y": "`,
		"bytes":  []byte{0, 0xff},
		"nested": map[string]any{"l": []any{map[string]any{"k": nil}}},
	}
	tests := []struct {
		expr string
		want string
	}{
		{"event_data.list", `["ssn","email",3]`},
		{"event_data.map", `{"a":"x","b":1}`},
		{"event_data.int", `-42`},
		{"event_data.float", `2.5`},
		{"event_data.nan", `null`},
		{"event_data.inf", `null`},
		{"event_data.true", `true`},
		{"event_data.false", `false`},
		{"none", `null`},
		{"event_data.missing", `null`},
		{"event_data.str", `"x\", \"admin\": true, \"y\": \""`},
		{"event_data.bytes", `"AP8="`},
		{"event_data.nested", `{"l":[{"k":null}]}`},
		{"[1, 'a', none, true, 1.5]", `[1,"a",null,true,1.5]`},
		{"{'b': [1], 'a': {'c': none}}", `{"a":{"c":null},"b":[1]}`},
		{"dict(x=1)", `{"x":1}`},
		{"event_data.list | length", `3`},
		{"severity", `"warning"`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			enc := newCustomEncoder(t, CustomConfig{Template: `{"v": {{ ` + tt.expr + ` | tojson }}}`})
			body := renderOne(t, enc, formatstest.GuideEvent(t, data))
			assert.JSONEq(t, `{"v": `+tt.want+`}`, string(body))
			assert.Contains(t, string(body), tt.want, "tojson writes compact JSON with sorted keys")
		})
	}
	t.Run("indent", func(t *testing.T) {
		enc := newCustomEncoder(t, CustomConfig{Template: `{{ event_data.map | tojson(indent=2) }}`})
		assert.Equal(t, "{\n  \"a\": \"x\",\n  \"b\": 1\n}", string(renderOne(t, enc, formatstest.GuideEvent(t, data))))
	})
	t.Run("html characters are escaped", func(t *testing.T) {
		enc := newCustomEncoder(t, CustomConfig{Template: `{{ event_data.s | tojson }}`})
		got := renderOne(t, enc, formatstest.GuideEvent(t, map[string]any{"s": "</script>&'"}))
		assert.Equal(t, `"\u003c/script\u003e\u0026\u0027"`, string(got))
	})
}

func TestCustomContextNames(t *testing.T) {
	enc := newCustomEncoder(t, CustomConfig{Template: `{"id": "{{ event_id }}", "type": "{{ event_type }}", "severity": "{{ severity }}",
"time": "{{ timestamp }}", "source": "{{ source }}", "data": {{ event_data | tojson }}, "service": "{{ resource['service.name'] }}"}`})
	ev := formatstest.GuideEvent(t, map[string]any{"file_id": "abc123"})
	ev.Timestamp = time.Date(2025, 10, 29, 14, 0, 0, 5000, time.FixedZone("CEST", 2*3600))
	ev.Resource.PutStr("service.name", "drive-audit")
	assert.JSONEq(t, `{"id": "0123456789abcdef", "type": "file_shared_externally", "severity": "warning",
"time": "2025-10-29T12:00:00.000005Z", "source": "sentyr", "data": {"file_id": "abc123"}, "service": "drive-audit"}`,
		string(renderOne(t, enc, ev)))
}

func TestCustomRejectsOnlyTheEventWhoseOutputIsNotJSON(t *testing.T) {
	for _, layout := range []string{customPerEvent, customArray} {
		t.Run(layout, func(t *testing.T) {
			enc := newCustomEncoder(t, CustomConfig{Template: `{"count": {{ event_data.n }}}`, Batch: layout})
			events := []formats.Event{
				formatstest.GuideEvent(t, map[string]any{"n": 1}),
				formatstest.GuideEvent(t, map[string]any{"n": "1, \"admin\": true"}),
				formatstest.GuideEvent(t, map[string]any{"n": 3}),
			}
			batch, err := enc.Encode(events)
			require.NoError(t, err)
			require.Len(t, batch.Rejected, 1)
			assert.Equal(t, 1, batch.Rejected[0].Index)
			assert.Contains(t, batch.Rejected[0].Err.Error(), "custom::template")
			assert.Contains(t, batch.Rejected[0].Err.Error(), "not valid JSON")
			assert.NotContains(t, batch.Rejected[0].Err.Error(), "admin", "the reason does not quote event content")
			var bodies []string
			var sent []int
			for _, r := range batch.Requests {
				bodies = append(bodies, string(r.Body))
				sent = append(sent, r.Events...)
			}
			assert.Equal(t, []int{0, 2}, sent)
			if layout == customArray {
				assert.Equal(t, []string{`[{"count": 1},{"count": 3}]`}, bodies)
				assert.False(t, batch.Concurrent)
			} else {
				assert.Equal(t, []string{`{"count": 1}`, `{"count": 3}`}, bodies)
				assert.True(t, batch.Concurrent)
			}
		})
	}
}

func TestCustomRuntimeErrorsRejectTheEvent(t *testing.T) {
	enc := newCustomEncoder(t, CustomConfig{Template: `{"n": {{ event_data.n | nosuchfilter }}}`})
	batch, err := enc.Encode([]formats.Event{formatstest.GuideEvent(t, map[string]any{"n": 1})})
	require.NoError(t, err)
	require.Len(t, batch.Rejected, 1)
	assert.Equal(t, "custom::template: rendering failed at line 1: filter 'nosuchfilter' not found", batch.Rejected[0].Err.Error())
	assert.Empty(t, batch.Requests)
}

func TestCustomArrayOfOnlyRejectedEventsSendsNothing(t *testing.T) {
	enc := newCustomEncoder(t, CustomConfig{Template: `{{ event_data.n }}`, Batch: customArray})
	batch, err := enc.Encode([]formats.Event{formatstest.GuideEvent(t, map[string]any{"n": "x"}), formatstest.GuideEvent(t, map[string]any{"n": "y"})})
	require.NoError(t, err)
	assert.Len(t, batch.Rejected, 2)
	assert.Empty(t, batch.Requests)
}

func TestCustomOtherContentTypesAreNotEscapedOrChecked(t *testing.T) {
	enc := newCustomEncoder(t, CustomConfig{
		Template:    `{{ event_data.owner }} shared "{{ event_data.file_name }}" <{{ severity }}>`,
		ContentType: "text/plain; charset=utf-8",
	})
	assert.Equal(t, "text/plain; charset=utf-8", enc.ContentType())
	body := renderOne(t, enc, formatstest.GuideEvent(t, formatstest.GuideData))
	assert.Equal(t, `user@example.com shared "sensitive.pdf" <warning>`, string(body))
}

func TestCustomJSONSuffixTypesAreChecked(t *testing.T) {
	enc := newCustomEncoder(t, CustomConfig{Template: `{"u": "{{ event_data.owner }}"}`, ContentType: "application/vnd.alert+json"})
	body := renderOne(t, enc, formatstest.GuideEvent(t, map[string]any{"owner": `a"b`}))
	assert.Equal(t, `{"u": "a\"b"}`, string(body))
}

func TestCustomSafeWritesRawAndIsStillChecked(t *testing.T) {
	enc := newCustomEncoder(t, CustomConfig{Template: `{"raw": {{ event_data.v | safe }}}`})
	body := renderOne(t, enc, formatstest.GuideEvent(t, map[string]any{"v": `{"trusted": 1}`}))
	assert.JSONEq(t, `{"raw": {"trusted": 1}}`, string(body))

	batch, err := enc.Encode([]formats.Event{formatstest.GuideEvent(t, map[string]any{"v": `1, "x": `})})
	require.NoError(t, err)
	assert.Len(t, batch.Rejected, 1, "raw output that breaks the JSON is still caught")
}

func TestCustomTemplateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alert.j2")
	require.NoError(t, os.WriteFile(path, []byte(formatstest.GuideTemplate), 0o600))
	enc := newCustomEncoder(t, CustomConfig{TemplateFile: path})
	assert.JSONEq(t, formatstest.GuidePayload(t), string(renderOne(t, enc, formatstest.GuideEvent(t, formatstest.GuideData))))

	bad := filepath.Join(t.TempDir(), "bad.j2")
	require.NoError(t, os.WriteFile(bad, []byte(`{"n": {{ event_data.n }}}`), 0o600))
	enc = newCustomEncoder(t, CustomConfig{TemplateFile: bad})
	batch, err := enc.Encode([]formats.Event{formatstest.GuideEvent(t, map[string]any{"n": "x"})})
	require.NoError(t, err)
	require.Len(t, batch.Rejected, 1)
	assert.Contains(t, batch.Rejected[0].Err.Error(), bad, "the reason names the template file")
}

func TestCustomCheck(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.j2")
	tests := []struct {
		name string
		cfg  CustomConfig
		want []string
	}{
		{"no template", CustomConfig{}, []string{"custom::template: required", "custom::template_file"}},
		{"both", CustomConfig{Template: "{}", TemplateFile: "x.j2"}, []string{"custom::template or custom::template_file, not both"}},
		{"missing file", CustomConfig{TemplateFile: missing}, []string{"custom::template_file: cannot read", missing}},
		{"unclosed output", CustomConfig{Template: "{\n  \"a\": \"{{ event_type\"\n}"}, []string{"custom::template: the template does not parse", "'}}' expected", "(Line: 2 Col: 22,"}},
		{"malformed if", CustomConfig{Template: "{\n\n{% if %}{% endif %}}"}, []string{"custom::template: the template does not parse", `"if"`, "Line: 3"}},
		{"unclosed for", CustomConfig{Template: "[\n{% for x in event_data %}{{ x }}]"}, []string{"does not parse", "endfor", "Line: 2"}},
		{"unknown statement", CustomConfig{Template: "{% frobnicate %}"}, []string{"does not parse", "frobnicate", "Line: 1"}},
		{"include reads files", CustomConfig{Template: `{% include "/etc/passwd" %}`}, []string{"does not parse", "'include' not found", "statements a template may use: if, for, set"}},
		{"macro", CustomConfig{Template: `{% macro m() %}{% endmacro %}`}, []string{"does not parse", "'macro' not found"}},
		{"unterminated string", CustomConfig{Template: "{\n  \"a\": {{ 'abc }}\n}"}, []string{"does not parse", "(Line: 2 Col: 11,"}},
		{"unclosed comment", CustomConfig{Template: "{\n\n  {# note\n}"}, []string{"does not parse", "unclosed comment", "(Line: 3 Col: 5,"}},
		{"unclosed raw", CustomConfig{Template: "{\n{% raw %}\n}"}, []string{"does not parse", "endraw", "(Line: 2 Col: 10,"}},
		{"bad content type", CustomConfig{Template: "{}", ContentType: "json"}, []string{"custom::content_type", `"json" is not a media type`}},
		{"unknown batch", CustomConfig{Template: "{}", Batch: "ndjson"}, []string{"custom::batch", `"ndjson"`, `"array"`}},
		{"array of text", CustomConfig{Template: "x", Batch: customArray, ContentType: "text/plain"}, []string{"custom::batch: array", "text/plain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.check()
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "failed to parse template '", "the message does not quote the whole template")
			assert.NotContains(t, err.Error(), "Line: 0", "the message gives a real position")
			_, err = newCustom(tt.cfg)
			if tt.name != "bad content type" && tt.name != "unknown batch" && tt.name != "array of text" {
				assert.Error(t, err, "the encoder refuses what Check refuses")
			}
		})
	}
	for _, ok := range []CustomConfig{
		{Template: formatstest.GuideTemplate},
		{Template: "x", ContentType: "text/plain"},
		{Template: "{}", Batch: customArray},
		{Template: "{}", Batch: customPerEvent, ContentType: "application/json; charset=utf-8"},
		{Template: `{% for x in [1] %}{% if x %}{% set y = x %}{% do [].append(1) %}{% break %}{% endif %}{% else %}{% endfor %}{% raw %}{{{% endraw %}}`},
	} {
		assert.NoError(t, ok.check(), "%+v", ok)
	}
}

// The encoder is shared by exporterhelper's consumers.
func TestCustomEncodesConcurrently(t *testing.T) {
	enc := newCustomEncoder(t, CustomConfig{Template: `{"u": "{{ event_data.owner }}", "all": {{ event_data | tojson }}{% for k in event_data %}, "{{ k }}": 1{% endfor %}}`})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				owner := strings.Repeat("\"", g) + string(rune('a'+i%26))
				batch, err := enc.Encode([]formats.Event{formatstest.GuideEvent(t, map[string]any{"owner": owner, "n": i})})
				if err != nil || len(batch.Requests) != 1 {
					t.Errorf("encode: %v %+v", err, batch.Rejected)
					return
				}
				var got struct{ U string }
				if err := json.Unmarshal(batch.Requests[0].Body, &got); err != nil || got.U != owner {
					t.Errorf("got %q from %s (%v)", got.U, batch.Requests[0].Body, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// asDecoded is s as a JSON decoder returns it after our escaping: each byte
// of invalid UTF-8 is one U+FFFD, which is what converting to runes does.
func asDecoded(s string) string { return string([]rune(s)) }

func BenchmarkCustomSeedTemplate(b *testing.B) {
	for _, layout := range []string{customPerEvent, customArray} {
		b.Run(layout, func(b *testing.B) {
			enc, err := newCustom(CustomConfig{Template: formatstest.GuideTemplate, Batch: layout})
			require.NoError(b, err)
			benchGuideEvents(b, enc)
		})
	}
}

// benchGuideEvents times enc encoding batches of the guide's example event,
// per event.
func benchGuideEvents(b *testing.B, enc Encoder) {
	events := make([]formats.Event, 100)
	for i := range events {
		events[i] = formatstest.GuideEvent(b, formatstest.GuideData)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := enc.Encode(events); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(events)), "ns/event")
}
