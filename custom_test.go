package webhookexporter

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/sentyr/webhookexporter/internal/raceflag"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// exampleExporterConfig loads one exporter of an examples/ collector config
// over the defaults and points it at endpoint.
func exampleExporterConfig(t *testing.T, file, id, endpoint string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("examples", file))
	require.NoError(t, err)
	sub, err := cm.Sub("exporters::" + id)
	require.NoError(t, err)
	cfg := testCfg(endpoint)
	require.NoError(t, sub.Unmarshal(cfg))
	cfg.ClientConfig.Endpoint = endpoint
	require.NoError(t, confmap.Validate(cfg))
	return cfg
}

func TestCustomSeedTemplateFromExampleYAML(t *testing.T) {
	s := testsink.NewRecorder(t, nil)
	cfg := exampleExporterConfig(t, "custom-template.yaml", "webhook/alerts", s.URL)
	require.Equal(t, "custom", cfg.Format)
	exp := startExporter(t, withoutQueue(cfg))

	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample)))

	req := s.Wait(t, 1)[0]
	assert.JSONEq(t, readGolden(t, "custom.json"), string(req.Body))
	assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
}

func TestCustomInjectionEndToEnd(t *testing.T) {
	s := testsink.NewRecorder(t, nil)
	cfg := exampleExporterConfig(t, "custom-template.yaml", "webhook/alerts", s.URL)
	exp := startExporter(t, withoutQueue(cfg))
	hostile := []string{
		`x", "admin": true, "x": "`,
		"back\\slash \"quotes\" new\nline",
		"</script><script>alert(1)</script>",
		"ctl \x00\x1f\x7f bad \xff\xfe utf8",
	}
	events := make([]seedEvent, len(hostile))
	for i, h := range hostile {
		events[i] = seedEvent{"file_shared_externally", "warning", map[string]any{"file_name": h, "owner": h, "shared_with": h}}
	}
	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, events...)))

	reqs := s.Wait(t, len(hostile))
	seen := map[string]bool{}
	for _, r := range reqs {
		require.True(t, json.Valid(r.Body), "%s", r.Body)
		var got struct {
			Alert struct {
				Details map[string]any `json:"details"`
			} `json:"alert"`
		}
		require.NoError(t, json.Unmarshal(r.Body, &got))
		require.Len(t, got.Alert.Details, 3, "no key was added: %s", r.Body)
		owner := got.Alert.Details["owner"].(string)
		assert.Equal(t, owner, got.Alert.Details["file"])
		assert.Equal(t, owner, got.Alert.Details["recipient"])
		seen[owner] = true
	}
	for _, h := range hostile {
		assert.True(t, seen[string([]rune(h))], "value %q arrived intact", h)
	}
}

func TestCustomInvalidOutputIsDroppedAndLoggedOthersDelivered(t *testing.T) {
	for _, layout := range []string{"event", "array"} {
		t.Run(layout, func(t *testing.T) {
			s := testsink.NewRecorder(t, nil)
			cfg := withoutQueue(testCfg(s.URL))
			cfg.Format = "custom"
			cfg.Custom = builtin.CustomConfig{Template: `{"type": "{{ event_type }}", "count": {{ event_data.count }}}`, Batch: layout}
			exp := startExporter(t, cfg)

			err := exp.ConsumeLogs(context.Background(), seedLogs(t,
				seedEvent{"first", "info", map[string]any{"count": 1}},
				seedEvent{"broken", "info", map[string]any{"count": `1, "admin": true`}},
				seedEvent{"third", "info", map[string]any{"count": 3}},
			))
			require.Error(t, err)
			assert.True(t, consumererror.IsPermanent(err), "a payload that will never be valid is not retried")

			wantRequests := 2
			if layout == "array" {
				wantRequests = 1
			}
			reqs := s.Wait(t, wantRequests)
			require.Len(t, reqs, wantRequests)
			var delivered []any
			for _, r := range reqs {
				var v any
				require.NoError(t, json.Unmarshal(r.Body, &v))
				if arr, ok := v.([]any); ok {
					delivered = append(delivered, arr...)
				} else {
					delivered = append(delivered, v)
				}
			}
			assert.ElementsMatch(t, []any{
				map[string]any{"type": "first", "count": 1.0},
				map[string]any{"type": "third", "count": 3.0},
			}, delivered)

			logged := exp.logs.FilterMessageSnippet("could not be encoded").All()
			require.Len(t, logged, 1)
			fields := logged[0].ContextMap()
			assert.Equal(t, "broken", fields["event_type"])
			assert.Equal(t, "custom", fields["format"])
			assert.Contains(t, fields["reason"], "custom::template")
			assert.Contains(t, fields["reason"], "not valid JSON")
		})
	}
}

func TestCustomTemplateErrorFailsValidation(t *testing.T) {
	cfg := testCfg("https://siem.example.com/webhook")
	cfg.Format = "custom"
	cfg.Custom.Template = "{\n  \"type\": \"{{ event_type }}\",\n  {% if %}\n}"
	err := confmap.Validate(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "custom::template: the template does not parse")
	assert.Contains(t, err.Error(), "Line: 3")

	cfg.Custom.Template = ""
	err = confmap.Validate(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "custom::template: required")
}

func TestCustomTextTemplate(t *testing.T) {
	s := testsink.NewRecorder(t, nil)
	cfg := withoutQueue(testCfg(s.URL))
	cfg.Format = "custom"
	cfg.Custom = builtin.CustomConfig{Template: `{{ severity | upper }}: {{ event_data.owner }} shared {{ event_data.file_name }}`, ContentType: "text/plain"}
	exp := startExporter(t, cfg)
	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample)))
	req := s.Wait(t, 1)[0]
	assert.Equal(t, "WARNING: user@example.com shared sensitive.pdf", string(req.Body))
	assert.Equal(t, "text/plain", req.Header.Get("Content-Type"))
}

func TestCustomHostileRecordsNeverBreakThePayload(t *testing.T) {
	raceflag.SkipSingleGoroutine(t)
	const template = `{"type": "{{ event_type }}", "severity": "{{ severity }}", "message": "{{ event_data.message }}",
"data": {{ event_data | tojson }}, "text": "{{ event_data }}", "neighbour": "{{ event_data.neighbour }}"}`
	for _, tt := range hostileRecords {
		t.Run(tt.name, func(t *testing.T) {
			s := testsink.NewRecorder(t, nil)
			cfg := withoutQueue(testCfg(s.URL))
			cfg.Format = "custom"
			// The 10 MiB record renders to about 60 MiB, past the default
			// custom::max_output_size; this test is about escaping.
			cfg.Custom = builtin.CustomConfig{Template: template, Batch: "array", MaxOutputSize: 256 << 20}
			exp := startExporter(t, cfg)

			require.NoError(t, exp.ConsumeLogs(context.Background(), withNeighbour(tt.fill)))

			body := s.Wait(t, 1)[0].Body
			var events []map[string]any
			require.NoError(t, json.Unmarshal(body, &events), "the payload is valid JSON")
			require.Len(t, events, 2)
			assert.Equal(t, "intact", events[1]["neighbour"], "the other event is untouched")
		})
	}
}

// A render that would run for ever (nested loops kept Shutdown waiting for
// over a minute) stops at custom::render_timeout: its event is dropped and
// logged with the template and the budget, the others are delivered, and
// ConsumeLogs returns.
func TestCustomRenderOverItsBudgetIsDroppedAndLogged(t *testing.T) {
	s := testsink.NewRecorder(t, nil)
	cfg := withoutQueue(testCfg(s.URL))
	cfg.Format = "custom"
	cfg.Custom = builtin.CustomConfig{
		Template: `{"type": "{{ event_type }}"}
{%- for a in event_data.l %}{% for b in event_data.l %}{% for c in event_data.l %}{% for d in event_data.l %}
{%- endfor %}{% endfor %}{% endfor %}{% endfor %}`,
		// Far more than the ordinary event needs, even under the race detector.
		RenderTimeout: 200 * time.Millisecond,
		// Large enough that the deadline, not the size, stops the render.
		MaxOutputSize: 256 << 20,
	}
	exp := startExporter(t, cfg)
	spin := make([]any, 1000)
	for i := range spin {
		spin[i] = i
	}
	err := exp.ConsumeLogs(context.Background(), seedLogs(t,
		seedEvent{"spinning", "info", map[string]any{"l": spin}},
		seedEvent{"ordinary", "info", map[string]any{"l": []any{1, 2}}},
	))
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))
	reqs := s.Wait(t, 1)
	require.Len(t, reqs, 1)
	assert.JSONEq(t, `{"type": "ordinary"}`, string(reqs[0].Body))

	logged := exp.logs.FilterMessageSnippet("could not be encoded").All()
	require.Len(t, logged, 1)
	fields := logged[0].ContextMap()
	assert.Equal(t, "spinning", fields["event_type"])
	assert.Contains(t, fields["reason"], "custom::template: the render went over its budget: the render took longer than custom::render_timeout (200ms)")
}
