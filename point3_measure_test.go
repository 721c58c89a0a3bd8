//go:build measure

package webhookexporter

// Issue 23, point 3: what a receiver's long text costs a push, measured
// the same way on 8db1b04 and on main. Run with -tags measure; each case
// in its own process (-test.run) so that VmHWM is the case's own.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sentyr/webhookexporter/internal/deadletter"
)

// measurePush runs push with the heap sampled every millisecond.
func measurePush(push func()) (alloc, peak uint64, took time.Duration) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var max atomic.Uint64
	max.Store(before.HeapInuse)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		var ms runtime.MemStats
		tk := time.NewTicker(time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > max.Load() {
					max.Store(ms.HeapInuse)
				}
			}
		}
	}()
	start := time.Now()
	push()
	took = time.Since(start)
	close(done)
	<-stopped
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if after.HeapInuse > max.Load() {
		max.Store(after.HeapInuse)
	}
	return after.TotalAlloc - before.TotalAlloc, max.Load(), took
}

// logSizes is the longest log line as zap's JSON encoder writes it, and
// the longest field value.
func logSizes(logs *observer.ObservedLogs) (line, field, n int) {
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	for _, e := range logs.All() {
		n++
		b, err := enc.EncodeEntry(e.Entry, e.Context)
		if err == nil {
			line = max(line, b.Len())
			b.Free()
		}
		for _, v := range e.ContextMap() {
			field = max(field, len(fmt.Sprint(v)))
		}
	}
	return line, field, n
}

// deadLetterSizes is the dead-letter file's size, lines and longest line.
func deadLetterSizes(t *testing.T, dir string) (size int64, lines, longest int) {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		return 0, 0, 0
	}
	f, err := os.Open(dir + "/" + entries[0].Name())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	r := bufio.NewReaderSize(f, 1<<20)
	cur := 0
	for {
		chunk, err := r.ReadSlice('\n')
		cur += len(chunk)
		if err == bufio.ErrBufferFull {
			continue
		}
		if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			lines++
			longest = max(longest, cur)
			cur = 0
		}
		if err != nil {
			break
		}
	}
	return st.Size(), lines, longest
}

func vmHWM() string {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "?"
}

func measureCfg(t *testing.T, url, format string) *Config {
	cfg := withoutQueue(testCfg(url))
	cfg.Format = format
	cfg.SplunkHEC.Token = "11111111-2222-3333-4444-555555555555"
	cfg.Elastic.APIKey = "a2V5aWQ6a2V5"
	cfg.RetryConfig.Enabled = false // one attempt per push, the same on both trees
	cfg.DeadLetter = DeadLetterConfig{Enabled: true, Directory: t.TempDir(), MaxSizeMiB: 4096}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func report(t *testing.T, name string, exp *testExporter, dir string, pushes int, alloc, peak uint64, took time.Duration, errText string) {
	line, field, nlogs := logSizes(exp.logs)
	size, dl, longest := deadLetterSizes(t, dir)
	t.Logf("MEASURE %s pushes=%d alloc=%d peakHeapInuse=%d VmHWM=%q logEntries=%d longestLogLine=%d longestLogField=%d deadLetterBytes=%d deadletter.Lines=%d longestDeadLetter=%d errLen=%d took=%s",
		name, pushes, alloc, peak, vmHWM(), nlogs, line, field, size, dl, longest, len(errText), took.Round(time.Millisecond))
	t.Logf("error starts: %.300q", errText)
}

const measureText = 4 << 20

// (a) Splunk HEC answering 403 (code 4) with a text of measureText bytes
// to 200 events.
func TestMeasureHEC403LongText(t *testing.T) {
	text := strings.Repeat("refused! ", measureText/9)
	answer, _ := json.Marshal(map[string]any{"text": text, "code": 4})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write(answer)
	}))
	defer s.Close()
	cfg := measureCfg(t, s.URL+"/services/collector/event", "splunk_hec")
	exp := startExporter(t, cfg)
	ld := numberedLogs(200, 0)
	var err error
	alloc, peak, took := measurePush(func() { err = exp.ConsumeLogs(context.Background(), ld) })
	if err == nil {
		t.Fatal("the push succeeded")
	}
	report(t, "hec403", exp, cfg.DeadLetter.Directory, 1, alloc, peak, took, err.Error())
}

// bulkItem is one refused _bulk item with reason text.
func bulkItem(text string) []byte {
	b, _ := json.Marshal(map[string]any{"create": map[string]any{"status": 400,
		"error": map[string]any{"type": "mapper_parsing_exception", "reason": text}}})
	return b
}

// (c) _bulk: every document refused with a long reason. "each": 200
// pushes of one document, each answered with its item (within 8db1b04's
// read limit); "one": one push of 200 documents and 200 such items
// (written until the exporter stops reading); "fits16MiB": one push of
// 200 documents whose answer is just within 8db1b04's read limit.
func TestMeasureBulkLongReason(t *testing.T) {
	for _, tt := range []struct {
		name           string
		pushes, events int
		reason         int
	}{
		{"each", 200, 1, measureText},
		{"one", 1, 200, measureText},
		{"fits16MiB", 1, 200, 80_000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			item := bulkItem(strings.Repeat("refused! ", tt.reason/9))
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				if _, err := io.WriteString(w, `{"took":1,"errors":true,"items":[`); err != nil {
					return
				}
				for i := range tt.events {
					if i > 0 {
						_, _ = io.WriteString(w, ",")
					}
					if _, err := w.Write(item); err != nil {
						return
					}
				}
				_, _ = io.WriteString(w, "]}")
			}))
			defer s.Close()
			cfg := measureCfg(t, s.URL+"/sentyr/_bulk", "elastic")
			exp := startExporter(t, cfg)
			var errText string
			failed := 0
			alloc, peak, took := measurePush(func() {
				for i := range tt.pushes {
					ld := numberedLogs(tt.events, 0)
					ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().PutInt("push", int64(i))
					if err := exp.ConsumeLogs(context.Background(), ld); err != nil {
						failed++
						errText = err.Error()
					}
				}
			})
			t.Logf("%d of %d pushes failed", failed, tt.pushes)
			report(t, "bulk/"+tt.name, exp, cfg.DeadLetter.Directory, tt.pushes, alloc, peak, took, errText)
		})
	}
}
