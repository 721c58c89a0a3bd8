package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const sample = `goos: linux
BenchmarkPush/otlphttp/batch=1000-2        249   5025166 ns/op   972.7 B/event   0.1129 allocs/event   4800 cpu-ns/event   198998 events/s   5025 ns/event   841.2 wire-B/event
BenchmarkPush/webhook/json/batch=1000-2    300   1000000 ns/op   900 B/event     0.05 allocs/event     1000 cpu-ns/event   1000000 events/s  1000 ns/event   405.5 wire-B/event
BenchmarkPush/webhook/json/batch=1000-2    300   1000000 ns/op   900 B/event     0.05 allocs/event     2000 cpu-ns/event   1000000 events/s  1200 ns/event   405.5 wire-B/event
BenchmarkPush/webhook/json/batch=1000-2    300   1000000 ns/op   900 B/event     0.05 allocs/event     1200 cpu-ns/event   1000000 events/s  1100 ns/event   405.5 wire-B/event
BenchmarkPush/rawwire/json/batch=1000-2    2110  551005 ns/op    37 B/event      0.05 allocs/event     332 cpu-ns/event    1814867 events/s  550 ns/event    405.5 wire-B/event
BenchmarkEncode/webhook/json/batch=1000-2  900   300000 ns/op    460 B/event     0.003 allocs/event    300 cpu-ns/event    3333333 events/s  300 ns/event    405.5 wire-B/event
BenchmarkEncode/encodingjson/batch=1000-2  150   3000000 ns/op   1492 B/event    31.4 allocs/event     3000 cpu-ns/event   333333 events/s   3000 ns/event   405.5 wire-B/event
PASS
`

func TestTableShowsBaselinesAsRatiosOfMedians(t *testing.T) {
	text := render(t, sample)

	// Medians of three runs: CPU 1200, time 1100.
	assert.Contains(t, text, "| json | 1000 | 1000000 | 1100 | 1200 | 0.050 |", "the median of the runs")
	assert.Contains(t, text, "| 4800 | 4.00x |", "otlphttp CPU as a ratio to ours")
	assert.Contains(t, text, "| 550 | 0.50x |", "raw wire time as a ratio to ours")
	assert.Contains(t, text, "| 3000 | 31.4 | 10.00x |", "encoding/json as a ratio to ours")
	assert.Contains(t, text, "| push CPU: otlphttp ÷ webhook | json | 4.00 | ≥ 3.00 | met |")
	assert.Contains(t, text, "| push time: raw wire ÷ webhook | json | 0.50 | ≥ 0.67 | **missed** |")
	assert.Contains(t, text, "Missed: push time: raw wire ÷ webhook (json).")
	assert.Contains(t, text, "| Push/webhook/json/batch=1000 |")
}

// With every target met there is nothing missed and nothing to point to.
func TestAllTargetsMetPointsNowhere(t *testing.T) {
	met := strings.ReplaceAll(sample, "551005 ns/op    37 B/event      0.05 allocs/event     332 cpu-ns/event    1814867 events/s  550 ns/event",
		"551005 ns/op    37 B/event      0.05 allocs/event     332 cpu-ns/event    1814867 events/s  800 ns/event")
	require.NotEqual(t, sample, met)
	text := render(t, met)
	assert.Contains(t, text, "| push time: raw wire ÷ webhook | json | 0.73 | ≥ 0.67 | met |")
	assert.NotContains(t, text, "Missed")
}

const pairedSample = `BenchmarkPush/otlphttp/batch=1000-2        249   5025166 ns/op   4800 cpu-ns/event   5025 ns/event
BenchmarkPush/webhook/json/batch=1000-2    300   1000000 ns/op   1000 cpu-ns/event   1000 ns/event
BenchmarkPush/rawwire/json/batch=1000-2    2110  551005 ns/op    332 cpu-ns/event    550 ns/event
BenchmarkPushPaired/webhook/json/batch=1000-2  40  30000000 ns/op  1700 cpu-ns/event  1750 ns/event  5100 otlphttp-cpu-ns/event  400 rawwire-ns/event  3.0 x-otlphttp-cpu  0.2286 x-rawwire-time
BenchmarkPushPaired/webhook/json/batch=1000-2  40  30000000 ns/op  1800 cpu-ns/event  1850 ns/event  4500 otlphttp-cpu-ns/event  400 rawwire-ns/event  2.5 x-otlphttp-cpu  0.2162 x-rawwire-time
BenchmarkPushPaired/webhook/json/batch=1000-2  40  30000000 ns/op  1600 cpu-ns/event  1650 ns/event  4600 otlphttp-cpu-ns/event  400 rawwire-ns/event  2.875 x-otlphttp-cpu  0.2424 x-rawwire-time
`

// The targets take the paired turns' ratios over separate benchmarks'
// (here 4.80x), which each caught another part of the machine's drift.
func TestTargetsUsePairedTurnsWhenTheRunHasThem(t *testing.T) {
	text := render(t, pairedSample)

	assert.Contains(t, text, "| json | 1000 | 1750 | 1700 | 4600 | 2.88x | 400 | 0.23x |", "medians of the paired turns")
	assert.Contains(t, text, "| push CPU: otlphttp ÷ webhook (paired) | json | 2.88 | ≥ 3.00 | **missed** |")
	assert.Contains(t, text, "| push time: raw wire ÷ webhook (paired) | json | 0.23 | ≥ 0.67 | **missed** |")
	assert.NotContains(t, text, "| push CPU: otlphttp ÷ webhook | json |", "the separate benchmarks' ratio is not a target row")
}

// render is the tables benchtable prints for benchmark output.
func render(t *testing.T, output string) string {
	t.Helper()
	rs, err := parse(strings.NewReader(output))
	require.NoError(t, err)
	var out bytes.Buffer
	write(&out, rs)
	return out.String()
}

func TestParseRejectsGarbledNumbers(t *testing.T) {
	_, err := parse(strings.NewReader("BenchmarkPush/webhook/json/batch=1-2  10  abc ns/op\n"))
	require.Error(t, err)
}

func TestParseNames(t *testing.T) {
	for name, want := range map[string]key{
		"BenchmarkPush/otlphttp/batch=100-2":            {"Push", "otlphttp", "", 100},
		"BenchmarkPush/webhook/splunk_hec/batch=1-8":    {"Push", "webhook", "splunk_hec", 1},
		"BenchmarkMapEncode/encodingjson/batch=1000":    {"MapEncode", "encodingjson", "", 1000},
		"BenchmarkEncode/webhook/json/batch=1000-2":     {"Encode", "webhook", "json", 1000},
		"BenchmarkEncode/webhook/json/batch=1000#01-2":  {},
		"BenchmarkSomethingElse-2":                      {},
		"BenchmarkPush/webhook/json/batch=notanumber-2": {},
	} {
		got, ok := parseName(name)
		assert.Equal(t, want != key{}, ok, name)
		assert.Equal(t, want, got, name)
	}
}

const formatsSample = `BenchmarkPushPaired/formats/batch=1000-2  5  200000000 ns/op  2000 elastic-cpu-ns/event  1000 json-cpu-ns/event  5000 otlphttp-cpu-ns/event  1200 splunk_hec-cpu-ns/event  2.0 x-json-cpu-elastic  1.2 x-json-cpu-splunk_hec
BenchmarkPushPaired/formats/batch=1000-2  5  200000000 ns/op  1800 elastic-cpu-ns/event  1200 json-cpu-ns/event  4000 otlphttp-cpu-ns/event  1300 splunk_hec-cpu-ns/event  1.5 x-json-cpu-elastic  1.0833 x-json-cpu-splunk_hec
BenchmarkPushPaired/formats/batch=1000-2  5  200000000 ns/op  1900 elastic-cpu-ns/event  1100 json-cpu-ns/event  4500 otlphttp-cpu-ns/event  1250 splunk_hec-cpu-ns/event  1.7273 x-json-cpu-elastic  1.1364 x-json-cpu-splunk_hec
`

// The formats' turns give each format's CPU and its ratio to json's,
// medians of the runs' own ratios, and otlphttp's CPU beside them.
func TestFormatsInTurnsAreRatiosToJSON(t *testing.T) {
	text := render(t, formatsSample)
	assert.Contains(t, text, "### Formats in paired turns with each other (1000-event pushes)")
	assert.Contains(t, text, "| json | 1100 | 1.00x |")
	assert.Contains(t, text, "| splunk_hec | 1250 | 1.14x |")
	assert.Contains(t, text, "| elastic | 1900 | 1.73x |")
	assert.Contains(t, text, "| otlphttp | 4500 | 4.09x |", "otlphttp's ratio from the medians")
	assert.NotContains(t, text, "| formats |", "the formats' turns are not a format")
}
