package webhookexporter

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/metadata"
	"github.com/sentyr/webhookexporter/internal/raceflag"
)

// Memory follows the request: what a push allocates is bounded per byte of
// the OTLP request it was given, whatever came before it. The requests are
// those of issue 23: one record with a body of megabytes, and one request
// of many tiny records, each alone and one after the other, each within
// one OTLP/HTTP request (bench/README.md, "Memory bounds", has the figures
// before and after).
const (
	hugeBodyBytes = 3_900_000
	tinyRecords   = 130_000
	// A push may allocate allocPerPushedByte per byte of its OTLP request
	// and allocPerPayloadByte per byte of the payload it encodes. A tiny
	// record is a few bytes on the wire and becomes an event and its place
	// in the push's arrays, many times that; the payload is written once,
	// into a body that grows by doubling. Before issue 23 a tiny record
	// also reserved room for a full set of data fields, a body grew by a
	// quarter at a time, and a batch after a large event reserved the
	// large event's size for each of its events.
	allocPerPushedByte  = 14
	allocPerPayloadByte = 4
)

// hugeRequest is one record whose body is a string of hugeBodyBytes.
func hugeRequest() plog.Logs {
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(seedTime))
	lr.Body().SetStr(strings.Repeat("x", hugeBodyBytes))
	return ld
}

// tinyRequest is n records with a time, a severity and nothing else.
func tinyRequest(n int) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	lrs.EnsureCapacity(n)
	for range n {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(seedTime))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(seedTime))
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
	}
	return ld
}

// otlpBytes is the size of ld as an OTLP request body.
func otlpBytes(ld plog.Logs) int {
	return (&plog.ProtoMarshaler{}).LogsSize(ld)
}

// allocatedBy is what f allocates on the heap, all goroutines included.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// anyFormatCfg is the config of built-in format b, sending to base: every
// format's section is filled so that whichever format b is finds what it
// needs, and the endpoint's path is the first of a few shapes that b's
// check takes. A format none of them suits fails here, not silently.
func anyFormatCfg(t *testing.T, b builtin.Builtin, base string) *Config {
	t.Helper()
	cfg := withoutQueue(testCfg(""))
	cfg.Format = b.Name
	cfg.SplunkHEC.Token = "00000000-0000-0000-0000-000000000000"
	cfg.Datadog.APIKey = "0123456789abcdef0123456789abcdef"
	cfg.DatadogLogs.APIKey = "0123456789abcdef0123456789abcdef"
	cfg.PagerDuty.RoutingKey = "R0123456789abcdef0123456789abcde"
	cfg.Custom.Template = `{"t": "{{ event_type }}", "s": "{{ severity }}", "d": {{ event_data | tojson }}}`
	var errs []string
	for _, path := range []string{
		"/webhook",
		"/sentyr-events/_bulk",
		"/dataCollectionRules/dcr-0123456789abcdef0123456789abcdef/streams/Custom-SentyrEvents?api-version=2023-01-01",
		b.Service.Path, // else the path of the format's service
	} {
		cfg.ClientConfig.Endpoint = base + path
		err := cfg.Validate()
		if err == nil {
			return cfg
		}
		errs = append(errs, err.Error())
	}
	t.Fatalf("no test config for format %s: %s", b.Name, strings.Join(errs, "; "))
	return nil
}

// pushAlloc maps and encodes ld as exp's push does, releases the batch as
// the push does once it is sent, and returns what that allocated and the
// bytes of the payload.
func pushAlloc(t *testing.T, exp *webhookExporter, ld plog.Logs) (allocated uint64, payload int) {
	t.Helper()
	allocated = allocatedBy(func() {
		a := exp.pusher.Arrays.Get()
		batch, err := exp.pusher.MapAndEncode(ld, a)
		require.NoError(t, err)
		for _, r := range batch.Requests {
			payload += len(r.Body)
		}
		batch.Release()
		exp.pusher.Arrays.Put(a)
	})
	return allocated, payload
}

// For every built-in format, without a list of them: one huge record, many
// tiny records, and the huge record followed by the tiny ones, each push
// allocating at most allocPerPushedByte per byte of its OTLP request and
// allocPerPayloadByte per byte of payload. The HTTP exchange is left out:
// its cost is per request, which the formats that send an event per
// request pay per event by design.
func TestPushMemoryFollowsTheRequestForEveryFormat(t *testing.T) {
	raceflag.SkipAllocationBound(t)
	huge, tiny := hugeRequest(), tinyRequest(tinyRecords)
	hugeBytes, tinyBytes := otlpBytes(huge), otlpBytes(tiny)
	require.Less(t, tinyBytes, 4_500_000, "the tiny records fit one OTLP/HTTP request of issue 23's size")
	for _, b := range builtin.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			newExp := func() *webhookExporter {
				exp, err := newExporter(anyFormatCfg(t, b, "http://127.0.0.1:1"), exportertest.NewNopSettings(metadata.Type))
				require.NoError(t, err)
				return exp
			}
			check := func(what string, exp *webhookExporter, ld plog.Logs, pushed int) {
				allocated, payload := pushAlloc(t, exp, ld)
				bound := uint64(allocPerPushedByte*pushed + allocPerPayloadByte*payload)
				t.Logf("%s: %d bytes pushed, %d of payload, %.1f MiB allocated (%.2f of the bound)",
					what, pushed, payload, float64(allocated)/(1<<20), float64(allocated)/float64(bound))
				assert.LessOrEqual(t, allocated, bound, what)
			}
			check("many tiny records", newExp(), tiny, tinyBytes)
			exp := newExp()
			check("one huge record", exp, huge, hugeBytes)
			check("many tiny records after the huge one", exp, tiny, tinyBytes)
		})
	}
}

// discardingSink answers every request with status after reading its
// body, keeping none of it: what the test measures is the exporter's.
func discardingSink(t *testing.T, status int, answer string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(s.Close)
	return s
}

// The whole push of many tiny records, sent, and refused with dead letters
// on: the dead letters are written one at a time, so the refused push
// allocates per byte as the delivered one does, plus each dead letter's
// own line, not the whole batch's lines at once.
func TestPushOfManyTinyRecordsDeliveredAndDeadLettered(t *testing.T) {
	raceflag.SkipAllocationBound(t)
	tiny := tinyRequest(tinyRecords)
	pushed := otlpBytes(tiny)
	for _, tt := range []struct {
		name   string
		status int
		// perByte is the bound on what the push allocates per pushed byte.
		perByte int
	}{
		// Mapping and encoding as above (the payload is a few times the
		// OTLP request), the requests' and the answers' own costs, and the
		// results; before issue 23, well over this bound.
		{"delivered", http.StatusOK, 30},
		// Each dead letter is an OTLP/JSON request of its own, built by
		// pdata's marshaler and written before the next is built; before
		// issue 23, when every line was kept and then joined, far over
		// this bound.
		{"refused with dead letters", http.StatusBadRequest, 70},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := discardingSink(t, tt.status, "")
			cfg := withoutQueue(testCfg(s.URL + "/webhook"))
			cfg.DeadLetter = DeadLetterConfig{Enabled: true, Directory: t.TempDir(), MaxSizeMiB: 1024}
			exp := startExporter(t, cfg)
			var err error
			allocated := allocatedBy(func() { err = exp.ConsumeLogs(context.Background(), tiny) })
			// Every event delivered or kept as a dead letter: the push succeeds.
			require.NoError(t, err)
			if tt.status != http.StatusOK {
				assert.Equal(t, int64(tinyRecords), metricTotal(t, exp.telemetry, metricDeadLetters))
			}
			t.Logf("%d bytes pushed, %.1f MiB allocated, %.1f per pushed byte",
				pushed, float64(allocated)/(1<<20), float64(allocated)/float64(pushed))
			assert.LessOrEqual(t, allocated, uint64(tt.perByte*pushed))
		})
	}
}
