package main

import (
	"os"
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
}

func TestOptionsAreBounded(t *testing.T) {
	ok := options{collector: os.Args[0], events: 10, batch: 10, senders: 1, timeout: time.Minute, format: "json", consumers: 1}
	require.NoError(t, ok.check())
	for name, mutate := range map[string]func(*options){
		"no events":       func(o *options) { o.events = 0 },
		"endless timeout": func(o *options) { o.timeout = time.Hour },
		"unknown format":  func(o *options) { o.format = "xml" },
		"no binary":       func(o *options) { o.collector = "/nonexistent/otelcol" },
	} {
		o := ok
		mutate(&o)
		assert.Error(t, o.check(), name)
	}
}
