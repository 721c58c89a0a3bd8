//go:build measure

package auth_test

// Issue 23, point 3 (b): an OAuth2 token endpoint answering 400 with the
// issue's long error_description, 200 events, dead letters on; the same
// file on 8db1b04 and main. Run with -tags measure.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	webhookexporter "github.com/sentyr/webhookexporter"
)

func TestMeasureTokenLongDescription(t *testing.T) {
	description := strings.Repeat("no such client ", 900_000/15)
	answer, _ := json.Marshal(map[string]string{"error": "invalid_client", "error_description": description})
	var tokenRequests atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		tokenRequests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(answer)
	}))
	defer ts.Close()
	var delivered atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { delivered.Add(1) }))
	defer recv.Close()

	dir := t.TempDir()
	core, logs := observer.New(zap.DebugLevel)
	push := exportThroughLogging(t, recv.URL, map[string]any{"oauth2": map[string]any{
		"token_url": ts.URL + "/oauth/token", "client_id": "client-id", "client_secret": "client-secret-value"}},
		func(cfg *webhookexporter.Config) {
			cfg.RetryConfig.Enabled = false // one attempt, the same on both trees
			cfg.DeadLetter = webhookexporter.DeadLetterConfig{Enabled: true, Directory: dir, MaxSizeMiB: 4096}
		}, core)

	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i := range 200 {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2025, 10, 29, 12, 0, 0, 0, time.UTC)))
		lr.Attributes().PutInt("seq", int64(i))
	}

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	peak.Store(before.HeapInuse)
	done, stopped := make(chan struct{}), make(chan struct{})
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
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	start := time.Now()
	err := push(ld)
	took := time.Since(start)
	close(done)
	<-stopped
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if after.HeapInuse > peak.Load() {
		peak.Store(after.HeapInuse)
	}
	if err == nil {
		t.Fatal("the push succeeded")
	}

	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	line, field := 0, 0
	for _, e := range logs.All() {
		if b, err := enc.EncodeEntry(e.Entry, e.Context); err == nil {
			line = max(line, b.Len())
			b.Free()
		}
		for _, v := range e.ContextMap() {
			field = max(field, len(fmt.Sprint(v)))
		}
	}
	var size int64
	lines, longest := 0, 0
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		f, _ := os.Open(dir + "/" + entries[0].Name())
		st, _ := f.Stat()
		size = st.Size()
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
		f.Close()
	}
	hwm := "?"
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			hwm = strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	t.Logf("MEASURE token400 pushes=1 tokenRequests=%d delivered=%d alloc=%d peakHeapInuse=%d VmHWM=%q logEntries=%d longestLogLine=%d longestLogField=%d deadLetterBytes=%d deadLetterLines=%d longestDeadLetter=%d errLen=%d took=%s",
		tokenRequests.Load(), delivered.Load(), after.TotalAlloc-before.TotalAlloc, peak.Load(), hwm, logs.Len(), line, field, size, lines, longest, len(err.Error()), took.Round(time.Millisecond))
	t.Logf("error starts: %.300q", err.Error())
}
