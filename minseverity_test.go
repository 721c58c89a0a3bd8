package webhookexporter

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// guideExampleEvents are the guide's example events of examples/events.jsonl.
func guideExampleEvents(t *testing.T) []seedEvent {
	t.Helper()
	f, err := os.Open(filepath.Join("examples", "events.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	var out []seedEvent
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		var ev struct {
			Type     string         `json:"type"`
			Data     map[string]any `json:"data"`
			Severity string         `json:"severity"`
		}
		require.NoError(t, json.Unmarshal(lines.Bytes(), &ev))
		out = append(out, seedEvent{eventType: ev.Type, severity: ev.Severity, data: ev.Data})
	}
	require.NoError(t, lines.Err())
	return out
}

// TestMinSeveritySendsOnlyWhatReachesIt: the guide's example events (two
// warning, one critical) with min_severity: critical, for every format:
// only the critical one is sent; the two others are counted as
// below_min_severity, and are neither dead-lettered nor an error.
func TestMinSeveritySendsOnlyWhatReachesIt(t *testing.T) {
	events := guideExampleEvents(t)
	require.Len(t, events, 3)
	for _, b := range builtin.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			s := testsink.New(t, b)
			cfg := withDeadLetters(t, hostileCfg(t, s))
			cfg.MinSeverity = formats.SeverityCritical
			require.NoError(t, cfg.Validate())
			exp := startExporter(t, cfg)

			require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, events...)))

			require.Equal(t, 1, len(s.Events()), "refused: %v", refusedBy(s))
			if b.Name == "json" {
				assert.Contains(t, string(s.Events()[0]), `"pii_detected"`)
			}
			assert.Equal(t, map[string]int64{"below_min_severity": 2}, metricByReason(t, exp.telemetry, metricDropped))
			files, _ := filepath.Glob(filepath.Join(cfg.DeadLetter.Directory, "*"))
			for _, f := range files {
				content, err := os.ReadFile(f)
				require.NoError(t, err)
				assert.Empty(t, content, "no dead letter")
			}
		})
	}
}

// TestMinSeverityEveryEventBelow: a batch with no event at min_severity
// sends no request at all.
func TestMinSeverityEveryEventBelow(t *testing.T) {
	s := testsink.NewFormat(t, "json")
	cfg := hostileCfg(t, s)
	cfg.MinSeverity = formats.SeverityCritical
	exp := startExporter(t, cfg)
	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample, seedExample)))
	assert.Empty(t, s.Requests())
	assert.Equal(t, map[string]int64{"below_min_severity": 2}, metricByReason(t, exp.telemetry, metricDropped))
}

// TestMinSeverityRefusedAtLoad: a severity that is none of the four is
// refused at load, naming the field and the fix.
func TestMinSeverityRefusedAtLoad(t *testing.T) {
	cfg := testCfg("https://siem.example.com/hook")
	cfg.MinSeverity = "urgent"
	err := cfg.Validate()
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "min_severity:") && strings.Contains(err.Error(), "critical"), err.Error())
}
