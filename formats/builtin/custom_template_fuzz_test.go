package builtin

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/formatstest"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// fuzzTemplates are templates written the way the README says: values
// inside quotes or through tojson. For them no event content may produce
// invalid JSON, a new key or a changed value.
var fuzzTemplates = []string{
	formatstest.GuideTemplate,
	`{"id": "{{ event_id }}", "type": "{{ event_type }}", "severity": "{{ severity }}", "time": "{{ timestamp }}",
"source": "{{ source }}", "data": {{ event_data | tojson }}, "resource": {{ resource | tojson }},
"v": "{{ event_data.v }}", "all": "{{ event_data }}", "res": "{{ resource }}"}`,
	`{"fields": { {%- for k, v in event_data | dictsort -%}
"{{ k }}": "{{ v }}"{% if not loop.last %},{% endif %}
{%- endfor -%} }, "keys": [{% for k in event_data %}{{ k | tojson }}{% if not loop.last %},{% endif %}{% endfor %}]}`,
	`{"u": "{{ event_data.v | upper }}", "t": "{{ event_type | replace('a', '\"') }}", "c": "{{ event_data.v if event_data.b else event_type }}",
"n": {{ event_data.n | tojson }}, "f": {{ event_data.f | tojson }}, "b": {{ event_data.b | tojson }}, "l": {{ [event_data.v, event_data.f] | tojson }}}`,
}

func FuzzTemplate(f *testing.F) {
	encoders := make([]*customEncoder, len(fuzzTemplates))
	for i, src := range fuzzTemplates {
		enc, err := newCustom(CustomConfig{Template: src})
		if err != nil {
			f.Fatal(err)
		}
		encoders[i] = enc
	}
	f.Fuzz(func(t *testing.T, which uint8, eventType, severity, source, key, value string, num float64, n int64, b bool) {
		data := pcommon.NewMap()
		data.PutStr(key, value)
		data.PutStr("v", value)
		data.PutInt("n", n)
		data.PutDouble("f", num)
		data.PutBool("b", b)
		ev := formats.Event{
			ID: value, Type: eventType, Severity: severity, Source: source,
			Timestamp: time.Unix(0, n).UTC(), Body: pcommon.NewValueEmpty(), Resource: pcommon.NewMap(),
		}
		ev.Resource.PutStr(key, value)
		for k, v := range data.All() {
			ev.Data = append(ev.Data, formats.Field{Key: k, Value: v})
		}
		idx := int(which) % len(encoders)
		batch, err := encoders[idx].Encode([]formats.Event{ev})
		if err != nil {
			t.Fatal(err)
		}
		if len(batch.Rejected) > 0 {
			t.Fatalf("template %d rejected the event: %v", idx, batch.Rejected[0].Err)
		}
		body := batch.Requests[0].Body
		if !json.Valid(body) {
			t.Fatalf("template %d rendered invalid JSON: %q", idx, body)
		}
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		checkFuzzPayload(t, idx, got, eventType, key, value, num)
	})
}

// checkFuzzPayload checks that every value came back intact and that no
// key appeared that the template does not write.
func checkFuzzPayload(t *testing.T, idx int, got map[string]any, eventType, key, value string, num float64) {
	t.Helper()
	wantKeys := map[int][]string{
		0: {"alert"},
		1: {"id", "type", "severity", "time", "source", "data", "resource", "v", "all", "res"},
		2: {"fields", "keys"},
		3: {"u", "t", "c", "n", "f", "b", "l"},
	}[idx]
	if len(got) != len(wantKeys) {
		t.Fatalf("template %d: keys %v, want %v", idx, keysOf(got), wantKeys)
	}
	for _, k := range wantKeys {
		if _, ok := got[k]; !ok {
			t.Fatalf("template %d: key %q missing from %v", idx, k, keysOf(got))
		}
	}
	same := func(what string, gotV any, want string) {
		if gotV != asDecoded(want) {
			t.Fatalf("template %d: %s came back as %q, want %q", idx, what, gotV, asDecoded(want))
		}
	}
	switch idx {
	case 1:
		same("event_type", got["type"], eventType)
		same("value", got["v"], value)
		same("event_id", got["id"], value)
		data := got["data"].(map[string]any)
		if key != "v" && key != "n" && key != "f" && key != "b" {
			same("tojson value", data[asDecoded(key)], value)
		}
		same("resource value", got["resource"].(map[string]any)[asDecoded(key)], value)
		if f, ok := data["f"].(float64); ok != !(math.IsNaN(num) || math.IsInf(num, 0)) || (ok && f != num) {
			t.Fatalf("template 1: float %v came back as %v", num, data["f"])
		}
	case 2:
		fields := got["fields"].(map[string]any)
		if key != "n" && key != "f" && key != "b" {
			same("field", fields[asDecoded(key)], value)
		}
	}
}
