package template

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/formatstest"
	"github.com/sentyr/webhookexporter/internal/raceflag"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// benchTemplate is the custom template of the exporter's benchmarks.
const benchTemplate = `{"alert_type": "{{ event_type }}", "alert_severity": "{{ severity }}", "alert_timestamp": "{{ timestamp }}", "alert_data": {{ event_data | tojson }}, "alert_source": "{{ source }}"}`

// compiled parses src and requires that it compiles.
func compiled(t testing.TB, src string, jsonSafe bool) *Template {
	t.Helper()
	tpl, err := Parse("custom::template", src, jsonSafe, differentialLimits)
	require.NoError(t, err)
	require.NotNil(t, tpl.fast, "the template should take the compiled path: %q", src)
	return tpl
}

// sameAsGonja renders ev through the compiled steps and through gonja and
// requires the same bytes, and valid JSON where the steps claim it.
func sameAsGonja(t testing.TB, tpl *Template, ev *formats.Event) []byte {
	t.Helper()
	want, err := tpl.render([]byte("prefix"), templateContext(ev))
	require.NoError(t, err)
	got, proven, err := tpl.RenderEvent([]byte("prefix"), ev)
	require.NoError(t, err)
	if string(got) != string(want) {
		t.Fatalf("compiled and gonja differ for %q\ncompiled: %q\ngonja:    %q", tpl.name, got, want)
	}
	if proven && !json.Valid(got[len("prefix"):]) {
		t.Fatalf("proven template rendered invalid JSON: %q", got)
	}
	return got[len("prefix"):]
}

// hostileEvent carries every value type, each with content that tries to
// leave its string, in event_data, nested, and in the resource.
func hostileEvent(t testing.TB, s string) formats.Event {
	t.Helper()
	ev := formatstest.GuideEvent(t, map[string]any{
		"s": s, "i": int64(-42), "f": 2.5, "whole": 100.0, "tiny": 1e-7, "huge": 1e21, "negzero": math.Copysign(0, -1),
		"nan": math.NaN(), "inf": math.Inf(-1), "t": true, "false": false, "bytes": []byte(s),
		"map":  map[string]any{s: s, "b": int64(1), "a": []any{s, 1.5, nil, map[string]any{"z": s, "y": false}}},
		"list": []any{s, int64(3), nil, []any{}, map[string]any{}},
		"nil":  nil, s: s, "u\u2028": "v\u2029", "<&>'": "</script>",
	})
	ev.ID, ev.Type, ev.Severity, ev.Source = s, s+"t", "sev"+s, s+s
	ev.Resource.PutStr("service.name", s)
	ev.Resource.PutInt("pid", 7)
	ev.Resource.PutEmptyMap("nested").PutStr(s, s)
	// A key twice: templateContext's map keeps the last.
	dup := pcommon.NewValueStr("second " + s)
	ev.Data = append(ev.Data, formats.Field{Key: "s", Value: dup}, formats.Field{Key: "i", Value: pcommon.NewValueBool(true)})
	return ev
}

// duplicateKeysEvent has keys that repeat in the resource and in a nested
// map, as OTLP decoding leaves them; templateContext's maps keep the last.
func duplicateKeysEvent(t testing.TB) formats.Event {
	t.Helper()
	kv := func(k, v string) string { return `{"key":"` + k + `","value":{"stringValue":"` + v + `"}}` }
	list := `{"kvlistValue":{"values":[` + kv("x", "1") + `,` + kv("y", "2") + `,` + kv("x", "3") + `]}}`
	ld, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs([]byte(`{"resourceLogs":[{"resource":{"attributes":[` +
		kv("service.name", "first") + `,` + kv("pid", "a") + `,` + kv("service.name", "last") + `,{"key":"nested","value":` + list + `}]}}]}`))
	require.NoError(t, err)
	res := ld.ResourceLogs().At(0).Resource().Attributes()
	require.Equal(t, 4, res.Len(), "the decoder keeps repeated keys")
	ev := formatstest.GuideEvent(t, map[string]any{"s": "x"})
	ev.Resource = res
	nested, _ := res.Get("nested")
	ev.Data = append(ev.Data, formats.Field{Key: "map", Value: nested})
	return ev
}

var memberKeys = []string{"s", "i", "f", "whole", "tiny", "huge", "negzero", "nan", "inf", "t", "false", "bytes", "map", "list", "nil", "missing", "u\u2028", "<&>'"}

// memberTemplate writes every member of hostileEvent as text and as JSON.
func memberTemplate() string {
	var b strings.Builder
	b.WriteString("{")
	for i, k := range memberKeys {
		fmt.Fprintf(&b, `"t%d": "{{ event_data[%q] }}", "j%d": {{ event_data[%q] | tojson }}, `, i, k, i, k)
	}
	b.WriteString(`"attr": "{{ event_data.s }}", "res": "{{ resource['service.name'] }}", "resj": {{ resource.nested | tojson }},
"pid": "{{ resource.pid }}", "nores": {{ resource.missing | tojson }}}`)
	return b.String()
}

var differentialTemplates = []struct {
	name     string
	src      string
	jsonSafe bool
	proven   bool
}{
	{"seed", formatstest.GuideTemplate, true, true},
	{"bench", benchTemplate, true, true},
	{"every name as text", `{"id": "{{ event_id }}", "type": "{{ event_type }}", "severity": "{{ severity }}", "time": "{{ timestamp }}",
"source": "{{ source }}", "data": "{{ event_data }}", "resource": "{{ resource }}"}`, true, true},
	{"every name as tojson", `[{{ event_id | tojson }}, {{ event_type | tojson }}, {{ severity | tojson }}, {{ timestamp | tojson }},
{{ source | tojson }}, {{ event_data | tojson }}, {{ resource | tojson }}]`, true, true},
	{"every member", memberTemplate(), true, true},
	{"whitespace control and comments", "{# head #}\n{\n  \"a\": \"  {{- event_type -}}  \",\n  \"b\": {{- event_data | tojson -}}  ,\n  \"c\": \"{{ source -}}\n  \"\n}\n{# tail #}\n", true, true},
	{"value outside a string", `{"n": {{ event_data.i }}, "s": "{{ event_data.s }}"}`, true, false},
	{"text", "{{ event_type }} {{ event_data.s }} {{ event_data.t }} {{ event_data.f }} {{ event_data.map }} {{ event_data | tojson }} {{ timestamp }}\n", false, false},
}

func differentialEvents(t testing.TB) map[string]formats.Event {
	t.Helper()
	events := map[string]formats.Event{"seed": formatstest.GuideEvent(t, formatstest.GuideData)}
	for _, s := range append(formatstest.HostileStrings, "", strings.Repeat("big \"\\ \u2028 \xff <é> ", 1<<15)) {
		events[fmt.Sprintf("hostile %.20q", s)] = hostileEvent(t, s)
	}
	events["repeated keys"] = duplicateKeysEvent(t)
	empty := formatstest.GuideEvent(t, map[string]any{})
	empty.Resource = pcommon.Map{}
	events["no data, no resource"] = empty
	for _, ts := range []time.Time{
		{}, time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(999, 2, 3, 4, 5, 6, 120_000_000, time.UTC),
		time.Date(2025, 10, 29, 14, 0, 0, 5000, time.FixedZone("CEST", 2*3600)), time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(math.MaxInt64/4, 0),
	} {
		ev := formatstest.GuideEvent(t, formatstest.GuideData)
		ev.Timestamp = ts
		events["time "+ts.String()] = ev
	}
	return events
}

func TestCompiledTemplateMatchesGonja(t *testing.T) {
	raceflag.SkipSingleGoroutine(t)
	events := differentialEvents(t)
	for _, tt := range differentialTemplates {
		t.Run(tt.name, func(t *testing.T) {
			tpl := compiled(t, tt.src, tt.jsonSafe)
			assert.Equal(t, tt.proven, tpl.fast.provenJSON, "whether the output is proven JSON")
			for name, ev := range events {
				t.Run(name, func(t *testing.T) {
					body := sameAsGonja(t, tpl, &ev)
					if tt.jsonSafe && tt.proven {
						require.True(t, json.Valid(body))
					}
				})
			}
		})
	}
}

func TestCompiledTemplateIsTakenForTheSeedAndBenchTemplates(t *testing.T) {
	for _, src := range []string{formatstest.GuideTemplate, benchTemplate} {
		tpl := compiled(t, src, true)
		assert.True(t, tpl.fast.provenJSON, "its output needs no JSON check")
		ev := formatstest.GuideEvent(t, formatstest.GuideData)
		_, _, _ = tpl.RenderEvent(nil, &ev)
		buf := make([]byte, 0, 4096)
		// gonja allocates per event; the compiled path must not.
		allocs := testing.AllocsPerRun(100, func() {
			if _, _, err := tpl.RenderEvent(buf[:0], &ev); err != nil {
				t.Fatal(err)
			}
		})
		if !raceflag.Enabled {
			assert.Zero(t, allocs, "the compiled path allocates nothing per event")
		}
	}
	tpl := compiled(t, formatstest.GuideTemplate, true)
	ev := formatstest.GuideEvent(t, formatstest.GuideData)
	got, ok := tpl.fast.render(nil, &ev)
	require.True(t, ok)
	assert.JSONEq(t, formatstest.GuidePayload(t), string(got))
}

func TestCompiledTemplateFallsBackToGonja(t *testing.T) {
	for _, src := range []string{
		`{"a": "{{ event_type | upper }}"}`,
		`{"a": {{ event_data | tojson(indent=2) }}}`,
		`{"a": {{ event_data.n | safe }}}`,
		`{"a": "{{ event_type ~ 'x' }}"}`,
		`{"a": "{{ event_type if severity else source }}"}`,
		`{"a": "{{ none }}"}`,
		`{"a": "{{ unknown_name }}"}`,
		`{"a": "{{ event_data.file_name.x }}"}`,
		`{"a": "{{ event_type.x }}"}`,
		`{"a": "{{ event_data[0] }}"}`,
		`{"a": "{{ event_data[severity] }}"}`,
		`{"a": "{{ 'text' }}"}`,
		`{% if event_type %}{"a": "{{ event_type }}"}{% endif %}`,
		`{% set x = 1 %}{"a": "{{ event_type }}"}`,
		`{"a": [{% for k in event_data %}"{{ k }}"{% endfor %}]}`,
		`{% raw %}{"a": "{{ event_type }}"}{% endraw %}`,
	} {
		t.Run(src, func(t *testing.T) {
			tpl, err := Parse("custom::template", src, true, differentialLimits)
			require.NoError(t, err)
			assert.Nil(t, tpl.fast, "only gonja renders this template")
			ev := formatstest.GuideEvent(t, map[string]any{"n": int64(1), "file_name": "x"})
			want, wantErr := tpl.render(nil, templateContext(&ev))
			got, proven, err := tpl.RenderEvent(nil, &ev)
			assert.Equal(t, wantErr, err)
			assert.Equal(t, string(want), string(got))
			assert.False(t, proven)
		})
	}
}

func TestCompiledTemplateHandsDeepValuesToGonja(t *testing.T) {
	tpl := compiled(t, `{"d": {{ event_data | tojson }}, "m": {{ event_data.m | tojson }}}`, true)
	ev := formatstest.GuideEvent(t, map[string]any{})
	m := pcommon.NewMap()
	inner := m
	for range maxCompiledDepth + 5 {
		inner = inner.PutEmptyMap("k")
	}
	inner.PutStr("leaf", `"x"`)
	v := pcommon.NewValueMap()
	m.CopyTo(v.Map())
	ev.Data = append(ev.Data, formats.Field{Key: "m", Value: v})
	_, ok := tpl.fast.render(nil, &ev)
	require.False(t, ok, "the compiled path stops at maxCompiledDepth")
	body := sameAsGonja(t, tpl, &ev)
	assert.True(t, json.Valid(body))
}

func TestCompiledContextNamesAreTemplateContexts(t *testing.T) {
	ev := formatstest.GuideEvent(t, formatstest.GuideData)
	ctx := templateContext(&ev)
	for name := range contextNames {
		assert.Contains(t, ctx, name)
	}
	assert.Len(t, contextNames, len(ctx), "a name templateContext adds is compiled once it is in contextNames")
}

func TestProveJSON(t *testing.T) {
	tests := []struct {
		src  string
		want bool
	}{
		{`{"a": "{{ event_type }}"}`, true},
		{`{"{{ event_type }}": {{ event_data | tojson }}}`, true},
		{`{{ event_data | tojson }}`, true},
		{` "{{ source }}{{ severity }}" `, true},
		{`{"a": "\"{{ source }}\\", "b": "\u0041{{ source }}"}`, true},
		{`["x", {{ event_id | tojson }}, {"y": [{{ timestamp | tojson }}]}]`, true},
		{`{"a": {{ event_type }}}`, false},
		{`{{ event_type }}`, false},
		{`{"a": "{{ event_type | tojson }}"}`, false},
		{`{"a": "\u00{{ event_type }}41"}`, false},
		{`{"a": "\{{ event_type }}"}`, false},
		{`[{{ event_id | tojson }}{{ source | tojson }}]`, false},
		{`[1{{ event_id | tojson }}]`, false},
		{`[{{ event_id | tojson }}1]`, false},
		{`[-{{ event_id | tojson }}]`, false},
		{`{"a": "{{ event_type }}"`, false},
		{`{"a": "{{ event_type }}"} x`, false},
		{`{"a": "{{ event_type }}", }`, false},
		{``, false},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			tpl := compiled(t, tt.src, true)
			assert.Equal(t, tt.want, tpl.fast.provenJSON)
			for _, s := range append(formatstest.HostileStrings, "1", "-", "null") {
				ev := hostileEvent(t, s)
				body := sameAsGonja(t, tpl, &ev)
				if tt.want {
					require.True(t, json.Valid(body), "%s", body)
				}
			}
		})
	}
	text := compiled(t, `{"a": "{{ event_type }}"}`, false)
	assert.False(t, text.fast.provenJSON, "outputs of a text template are not escaped")
}

// differentialLimits let the differential tests' largest events render:
// they compare outputs, not budgets.
var differentialLimits = &Limits{Timeout: time.Hour, MaxOutput: 256 << 20, MaxWork: WorkPerOutput * (256 << 20), Now: time.Now}

// The compiled path writes each value once; its output is held to the
// same limit.
func TestTemplateBudgetLimitsTheCompiledPathsOutput(t *testing.T) {
	limits := &Limits{Timeout: time.Second, MaxOutput: 1 << 10, MaxWork: WorkPerOutput << 10, Now: time.Now}
	tpl, err := Parse("custom::template", `{"s": "{{ event_data.s }}"}`, true, limits)
	require.NoError(t, err)
	require.NotNil(t, tpl.fast)
	ev := formatstest.GuideEvent(t, map[string]any{"s": strings.Repeat("y", 1000)})
	out, _, err := tpl.RenderEvent(nil, &ev)
	require.NoError(t, err)
	assert.NotEmpty(t, out)
	ev = formatstest.GuideEvent(t, map[string]any{"s": strings.Repeat("y", 2000)})
	_, _, err = tpl.RenderEvent(nil, &ev)
	assert.ErrorContains(t, err, "the output is larger than custom::max_output_size (1024 bytes)")
}
