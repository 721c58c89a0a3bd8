package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestProcCPUReadsThisProcess(t *testing.T) {
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) { // burn a little CPU so that it shows
	}
	cpu, err := procCPU(os.Getpid())
	require.NoError(t, err)
	assert.Positive(t, cpu)
	_, err = procCPU(-1)
	assert.Error(t, err)
}

func TestCollectorConfigs(t *testing.T) {
	o := options{format: "splunk_hec", consumers: 3}
	cfg := collectorConfig(o, "127.0.0.1:4318", "http://127.0.0.1:9/services/collector/event", false)
	assert.Contains(t, cfg, "endpoint: 127.0.0.1:4318")
	assert.Contains(t, cfg, "format: splunk_hec\n    splunk_hec:\n      token:")
	assert.Contains(t, cfg, "num_consumers: 3")
	assert.Contains(t, cfg, "exporters: [webhook]")

	base := collectorConfig(o, "127.0.0.1:4318", "http://127.0.0.1:9/", true)
	assert.Contains(t, base, "exporters: [debug]")
	assert.NotContains(t, base, "webhook")

	o.shared = true
	shared := collectorConfig(o, "127.0.0.1:4318", "http://127.0.0.1:9/services/collector/event", false)
	assert.Contains(t, shared, "num_consumers: 3\n  debug:\n    verbosity: basic\n")
	assert.Contains(t, shared, "exporters: [webhook, debug]")
	assert.Equal(t, base, collectorConfig(o, "127.0.0.1:4318", "http://127.0.0.1:9/", true), "the baseline is the shared pipeline without webhook")
}

func TestOptionsAreBounded(t *testing.T) {
	ok := options{collector: os.Args[0], events: 10, batch: 10, senders: 1, timeout: time.Minute, format: "json", consumers: 1, rounds: 3}
	require.NoError(t, ok.check())
	for name, mutate := range map[string]func(*options){
		"no events":       func(o *options) { o.events = 0 },
		"endless timeout": func(o *options) { o.timeout = time.Hour },
		"unknown format":  func(o *options) { o.format = "xml" },
		"no rounds":       func(o *options) { o.rounds = 0 },
		"no binary":       func(o *options) { o.collector = "/nonexistent/otelcol" },
	} {
		o := ok
		mutate(&o)
		assert.Error(t, o.check(), name)
	}
}

// The share is the median of each round's difference, not the difference
// of medians: a round's two loads ran one after the other.
func TestRoundsPrintMediansAndTheMedianShare(t *testing.T) {
	load := func(cpuMillis int) *result {
		return &result{events: 1_000_000, requests: 1000, bytes: 406_000_000, elapsed: time.Second, cpu: time.Duration(cpuMillis) * time.Millisecond}
	}
	loads := []*result{load(13000), load(20000), load(12000)}
	bases := []*result{load(9000), load(15000), load(10000)}
	var out strings.Builder
	printRounds(&out, options{events: 1_000_000, batch: 1000, senders: 2, format: "json", consumers: 2}, loads, bases)
	text := out.String()
	assert.Contains(t, text, "CPU per million events:  13.00 s", "the median load")
	assert.Contains(t, text, "CPU per million events:  10.00 s", "the median baseline")
	assert.Contains(t, text, "webhook exporter's share:  4.00 CPU s per million events (median of 3 rounds' differences: 4.00, 5.00, 2.00)")
	assert.NotContains(t, text, "shared")

	out.Reset()
	printRounds(&out, options{events: 1_000_000, batch: 1000, senders: 2, format: "json", consumers: 2, shared: true}, loads, bases)
	assert.Contains(t, out.String(), "num_consumers 2, pipeline shared with the debug exporter)")
}
