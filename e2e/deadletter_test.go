//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

// deadLetterConfig receives OTLP/HTTP and exports to an Elasticsearch
// _bulk stand-in with dead letters on; a second OTLP receiver feeds the
// same exporter for replays.
const deadLetterConfig = `
receivers:
  otlp:
    protocols:
      http:
        endpoint: %[1]s
  otlp/replay:
    protocols:
      http:
        endpoint: %[2]s
exporters:
  webhook:
    endpoint: %[3]s/_bulk
    format: elastic
    elastic:
      index: events
      api_key: e2e-key
    timeout: 3s
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 200ms
      max_elapsed_time: 2s
    sending_queue:
      num_consumers: 1
    dead_letter:
      enabled: true
      directory: %[4]s
service:
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %[5]s
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [webhook]
    logs/replay:
      receivers: [otlp/replay]
      exporters: [webhook]
`

const dlIDKey = "dl_id"

// bulkServer is an Elasticsearch _bulk stand-in whose answers follow its
// mode, recording the _id of every document it created.
type bulkServer struct {
	*httptest.Server
	mu      sync.Mutex
	mode    string              // "refusing", "down", "hanging", "healthy"
	created map[string][]string // dl_id -> the _id of each creation
	seen    map[string]string   // dl_id -> _id, of every document received
	hung    chan struct{}       // a request started hanging
	release chan struct{}
}

var (
	// dlIDPattern finds the dl_id in a _bulk document, otlpIDPattern in
	// an OTLP/JSON record.
	dlIDPattern   = regexp.MustCompile(`"` + dlIDKey + `":"([^"]+)"`)
	otlpIDPattern = regexp.MustCompile(`"key":"` + dlIDKey + `","value":\{"stringValue":"([^"]+)"`)
)

func newBulkServer(t *testing.T) *bulkServer {
	s := &bulkServer{mode: "refusing", created: map[string][]string{}, seen: map[string]string{},
		hung: make(chan struct{}, 100), release: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *bulkServer) setMode(m string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode = m
}

func (s *bulkServer) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	s.mu.Lock()
	mode := s.mode
	s.mu.Unlock()
	switch mode {
	case "down":
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case "hanging":
		s.hung <- struct{}{}
		select {
		case <-s.release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	type doc struct{ dlID, id string }
	var docs []doc
	for i := 0; i+1 < len(lines); i += 2 {
		var action map[string]struct {
			ID string `json:"_id"`
		}
		if json.Unmarshal([]byte(lines[i]), &action) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		m := dlIDPattern.FindStringSubmatch(lines[i+1])
		if m == nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		docs = append(docs, doc{dlID: m[1], id: action["create"].ID})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range docs {
		s.seen[d.dlID] = d.id
	}
	refusing := mode == "refusing"
	// A request holding an event of the "bad-" series is refused whole.
	for _, d := range docs {
		if refusing && strings.HasPrefix(d.dlID, "bad-") {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"type":"illegal_argument_exception","reason":"the index is closed"},"status":400}`))
			return
		}
	}
	var items []string
	anyError := false
	for _, d := range docs {
		if refusing && strings.HasPrefix(d.dlID, "item-") {
			anyError = true
			items = append(items, `{"create":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field"}}}`)
			continue
		}
		s.created[d.dlID] = append(s.created[d.dlID], d.id)
		items = append(items, `{"create":{"status":201}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"errors":%t,"items":[%s]}`, anyError, strings.Join(items, ","))
}

// dlOTLP is an OTLP/JSON request with one record per dl_id.
func dlOTLP(ids []string) string {
	var b strings.Builder
	b.WriteString(`{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"e2e"}}]},"scopeLogs":[{"scope":{"name":"dl"},"logRecords":[`)
	now := strconv.FormatInt(time.Now().UnixNano(), 10)
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"timeUnixNano":"%s","eventName":"dead_letter_test","body":{"stringValue":"event"},`+
			`"attributes":[{"key":%q,"value":{"stringValue":%q}}]}`, now, dlIDKey, id)
	}
	b.WriteString(`]}]}]}`)
	return b.String()
}

func series(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s%04d", prefix, i))
	}
	return out
}

// fileDeadLetter is what the test reads of a dead letter.
type fileDeadLetter struct {
	dlID, reason, eventID string
}

func readDeadLetterDir(t *testing.T, dir string) []fileDeadLetter {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.deadletter.jsonl"))
	require.NoError(t, err)
	var out []fileDeadLetter
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		// While the collector runs, its last line may be half written:
		// only whole lines count. Once it stopped, every line is whole,
		// and a line it left unfinished shows as a dead letter missing.
		b = b[:bytes.LastIndexByte(b, '\n')+1]
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var line struct {
				DeadLetter struct {
					Reason  string `json:"reason"`
					EventID string `json:"eventId"`
				} `json:"deadLetter"`
			}
			require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
			m := otlpIDPattern.FindStringSubmatch(sc.Text())
			require.NotNil(t, m, sc.Text())
			out = append(out, fileDeadLetter{dlID: m[1], reason: line.DeadLetter.Reason, eventID: line.DeadLetter.EventID})
		}
	}
	return out
}

func byReason(dls []fileDeadLetter) map[string]int {
	out := map[string]int{}
	for _, d := range dls {
		out[d.reason]++
	}
	return out
}

// scrapeByReason reads a counter's series by their reason label.
func scrapeByReason(t *testing.T, addr, name string) map[string]int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	out := map[string]int{}
	reason := regexp.MustCompile(`reason="([^"]+)"`)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		s, _, _ := strings.Cut(line, "{")
		if s != name && s != name+"_total" {
			continue
		}
		m := reason.FindStringSubmatch(line)
		require.NotNil(t, m, line)
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		require.NoError(t, err)
		out[m[1]] += int(v)
	}
	return out
}

// waitDeadLetters waits until the directory holds n dead letters.
func waitDeadLetters(t *testing.T, col *collector, dir string, n int) {
	t.Helper()
	deadline := time.Now().Add(deliverTimeout)
	for len(readDeadLetterDir(t, dir)) < n {
		col.running(t)
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d dead letters after %s: %v", n, deliverTimeout, byReason(readDeadLetterDir(t, dir)))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDeadLettersAccountForEveryEvent: 1,000 events of which the receiver
// refuses 100 per item and 50 with a 400, a batch that runs out of
// max_elapsed_time against a receiver that is down, and a SIGTERM while
// the in-memory queue holds a third. Every event is delivered or a dead
// letter, never both, never neither; the metrics and the shutdown's drop
// totals agree with the file; a replay into the healthy receiver delivers
// each dead letter once, with the id of its first attempt.
func TestDeadLettersAccountForEveryEvent(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	bulk := newBulkServer(t)
	dlDir := filepath.Join(t.TempDir(), "deadletter")
	otlpAddr, replayAddr, metricsAddr := testsink.HeldAddr(t), testsink.HeldAddr(t), testsink.HeldAddr(t)
	_, metricsPort, _ := strings.Cut(metricsAddr, ":")
	config := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(config, fmt.Appendf(nil, deadLetterConfig, otlpAddr, replayAddr, bulk.URL, dlDir, metricsPort), 0o600))
	col := startCollector(t, config, t.TempDir())
	client := newOTLPClient(t, otlpAddr)
	client.waitReady(t, col)
	post := func(ids []string) {
		t.Helper()
		status, err := client.post(dlOTLP(ids))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status)
	}

	// 1,000 events: 100 refused per item, 50 in a request refused whole.
	var all []string
	first := append(series("ok-", 0, 850), series("item-", 0, 100)...)
	for i := 0; i < len(first); i += 95 {
		post(first[i:min(i+95, len(first))])
	}
	post(series("bad-", 0, 50))
	all = append(append(all, first...), series("bad-", 0, 50)...)
	waitDeadLetters(t, col, dlDir, 150)

	// A batch against a receiver that is down, until max_elapsed_time.
	bulk.setMode("down")
	post(series("down-", 0, 40))
	all = append(all, series("down-", 0, 40)...)
	waitDeadLetters(t, col, dlDir, 190)
	// The counters are added to just after the file is written.
	want := map[string]int{"refused_per_event": 100, "refused": 50, "retries_exhausted": 40}
	require.Equal(t, want, byReason(readDeadLetterDir(t, dlDir)))
	var metrics map[string]int
	deadline := time.Now().Add(deliverTimeout)
	for {
		metrics = scrapeByReason(t, metricsAddr, "otelcol_exporter_webhook_dropped_log_records")
		if len(metrics) == len(want) && metrics["retries_exhausted"] == 40 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	assert.Equal(t, want, metrics, "the counts by reason are the file's")

	// A third batch in the queue, behind one that hangs, at SIGTERM.
	bulk.setMode("hanging")
	post(series("term-a-", 0, 20))
	<-bulk.hung
	post(series("term-b-", 0, 30))
	post(series("term-c-", 0, 10))
	all = append(all, series("term-a-", 0, 20)...)
	all = append(append(all, series("term-b-", 0, 30)...), series("term-c-", 0, 10)...)
	// The hanging request ends with the exporter's timeout; what is left
	// in the queue is tried once, against a receiver that is down.
	bulk.setMode("down")
	require.NoError(t, col.stop(t), "SIGTERM: a clean shutdown")

	dls := readDeadLetterDir(t, dlDir)
	assert.Equal(t, map[string]int{"refused_per_event": 100, "refused": 50, "retries_exhausted": 40, "shutdown": 60}, byReason(dls))
	deadLettered := map[string]fileDeadLetter{}
	for _, d := range dls {
		_, twice := deadLettered[d.dlID]
		require.False(t, twice, "%s is a dead letter twice", d.dlID)
		deadLettered[d.dlID] = d
	}
	bulk.mu.Lock()
	for _, id := range all {
		_, delivered := bulk.created[id]
		_, dead := deadLettered[id]
		assert.True(t, delivered != dead, "%s: delivered %t, dead letter %t", id, delivered, dead)
	}
	firstIDs := map[string]string{}
	for k, v := range bulk.seen {
		firstIDs[k] = v
	}
	bulk.mu.Unlock()
	// The totals logged at shutdown add up to the file; every event is
	// kept, so none is logged as dropped, by the exporter or exporterhelper.
	assert.NotContains(t, col.output.String(), "dropped events")
	assert.NotContains(t, col.output.String(), "Exporting failed. Dropping data.")
	logged := map[string]int{}
	totals := regexp.MustCompile(`webhook kept events as dead letters: (\w+)\s.*"events":\s*(\d+)`)
	for _, m := range totals.FindAllStringSubmatch(col.output.String(), -1) {
		n, _ := strconv.Atoi(m[2])
		logged[m[1]] += n
	}
	assert.Equal(t, byReason(dls), logged, "the logged drop totals are the file's")

	// Replay into the healthy receiver, through the same exporter.
	bulk.setMode("healthy")
	replayFile := filepath.Join(t.TempDir(), "replay.jsonl")
	files, err := filepath.Glob(filepath.Join(dlDir, "*.deadletter.jsonl"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	require.NoError(t, os.Rename(files[0], replayFile))
	second := startCollector(t, config, t.TempDir())
	newOTLPClient(t, replayAddr).waitReady(t, second)
	replay := exec.Command("go", "run", filepath.Join(root, "cmd", "webhookreplay"),
		"-endpoint", "http://"+replayAddr+"/v1/logs", replayFile)
	replay.Env = goEnv()
	out, err := replay.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), fmt.Sprintf("accepted by the collector %d, refused 0, not valid 0", len(dls)))
	deadline = time.Now().Add(deliverTimeout)
	for {
		bulk.mu.Lock()
		n := 0
		for _, id := range all {
			if len(bulk.created[id]) > 0 {
				n++
			}
		}
		bulk.mu.Unlock()
		if n == len(all) {
			break
		}
		second.running(t)
		require.False(t, time.Now().After(deadline), "%d of %d events delivered after the replay", n, len(all))
		time.Sleep(50 * time.Millisecond)
	}
	require.NoError(t, second.stop(t))

	bulk.mu.Lock()
	defer bulk.mu.Unlock()
	for _, id := range all {
		require.Len(t, bulk.created[id], 1, "%s delivered once", id)
	}
	for id, d := range deadLettered {
		assert.Equal(t, d.eventID, bulk.created[id][0], "%s: the replay's _id is the dead letter's event id", id)
		if first, ok := firstIDs[id]; ok {
			assert.Equal(t, first, d.eventID, "%s: the same id as on the first attempt", id)
		}
	}
	assert.Empty(t, readDeadLetterDir(t, dlDir), "nothing refused again")
}
