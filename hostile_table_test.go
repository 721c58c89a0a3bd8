package webhookexporter

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/echosink"
	"github.com/sentyr/webhookexporter/internal/memstorage"
	"github.com/sentyr/webhookexporter/internal/metadata"
	"github.com/sentyr/webhookexporter/internal/raceflag"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// hostileCases run for every built-in format: a format in the table is
// covered by being there. They wait on their stand-ins rather than
// measure, so they run in parallel; the memory case (TestHostileMemory)
// measures the whole process and runs alone.
var hostileCases = []hostileCase{
	{"answer_of_any_size", hostileLongAnswer},
	{"endless_answer", hostileEndlessAnswer},
	{"echoing_answer", hostileEchoingAnswer},
	{"routing_from_body", hostileRoutingFromBody},
	{"restart", hostileRestart},
}

type hostileCase struct {
	name string
	run  func(t *testing.T, b builtin.Builtin)
}

// TestHostile runs the hostile cases against every built-in format, as
// TestHostile/<format>/<case>.
func TestHostile(t *testing.T) {
	t.Parallel()
	for _, b := range builtin.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			for _, c := range hostileCases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, b)
				})
			}
		})
	}
}

// TestHostileMemory runs the memory case against every built-in format, as
// TestHostileMemory/<format>. It bounds allocation, so it runs without the
// race detector (make test's run of the allocation bounds); the paths it
// pushes through run under the detector in TestHostile and
// TestHostileInputNeverBreaksThePayload.
func TestHostileMemory(t *testing.T) {
	raceflag.SkipAllocationBound(t)
	for _, b := range builtin.Builtins() {
		t.Run(b.Name, func(t *testing.T) { hostileMemory(t, b) })
	}
}

// hostileSecret is a secret every exporter of the suite sends in a header
// of its own, beside the service's credential.
const hostileSecret = "hostile-header-secret-7f3a9c"

// hostileCfg is the config of b's exporter sending to s, as collector YAML
// would give it, with fast retries and no queue.
func hostileCfg(t *testing.T, s *testsink.Sink) *Config {
	t.Helper()
	m := s.Settings()
	headers, _ := m["headers"].(map[string]any)
	if headers == nil {
		headers = map[string]any{}
	}
	headers["X-Api-Key"] = hostileSecret
	m["headers"] = headers
	cfg := testCfg("")
	require.NoError(t, confmap.NewFromStringMap(m).Unmarshal(cfg))
	require.NoError(t, cfg.Validate())
	return withoutQueue(cfg)
}

// recordsOf is a batch of one record per body, each a map.
func recordsOf(bodies ...map[string]any) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, body := range bodies {
		lr := lrs.AppendEmpty()
		lr.SetEventName("hostile")
		lr.Attributes().PutStr("severity", "warning")
		lr.SetTimestamp(0)
		_ = lr.Body().SetEmptyMap().FromRaw(body)
	}
	return ld
}

// Memory allocated to push a batch follows the batch's OTLP size: many
// tiny records, one huge record, the tiny ones again. And it does not
// follow the batch before: the tiny records cost after the huge one what
// they cost before it (a buffer sized from the earlier batch would cost
// the huge record times a count).
func hostileMemory(t *testing.T, b builtin.Builtin) {
	steps := hostilePushes(t, b)
	for _, step := range steps {
		assert.Less(t, step.perByte, float64(hostileAllocPerByte), "%s: bytes allocated per OTLP byte pushed, the sink's reading included", step.name)
	}
	tiny, after := steps[0], steps[2]
	assert.Less(t, float64(after.allocated), hostileAfterHuge*float64(tiny.allocated), "bytes allocated: %s, then %s", tiny.name, after.name)
}

type hostilePush struct {
	name      string
	allocated uint64
	perByte   float64
}

// hostilePushes pushes many tiny records, one huge record and the tiny
// ones again to b's stand-in, and returns for each the bytes allocated
// (runtime.MemStats, the whole process: the sink's reading included) and
// those per OTLP byte besides what its requests cost as such: a format
// that sends an event per request pays an HTTP exchange, client and
// server, per event. That cost is measured in the same run, as what a
// push of one tiny record allocates.
func hostilePushes(t *testing.T, b builtin.Builtin) []hostilePush {
	s := testsink.New(t, b)
	exp := startExporter(t, hostileCfg(t, s))
	tinies := make([]map[string]any, hostileTinyRecords)
	for i := range tinies {
		tinies[i] = map[string]any{"n": int64(i)}
	}
	tiny := recordsOf(tinies...)
	huge := recordsOf(map[string]any{"msg": strings.Repeat("x", hostileHugeRecord)})
	push := func(ld plog.Logs) (allocated uint64, requests int) {
		before := len(s.Requests())
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
		runtime.ReadMemStats(&m1)
		return m1.TotalAlloc - m0.TotalAlloc, len(s.Requests()) - before
	}
	push(tiny) // connections and pools
	one := recordsOf(tinies[0])
	var perRequest []uint64
	for range 5 {
		allocated, _ := push(one)
		perRequest = append(perRequest, allocated)
	}
	slices.Sort(perRequest)
	exchange := float64(perRequest[len(perRequest)/2])
	measure := func(name string, ld plog.Logs) hostilePush {
		allocated, requests := push(ld)
		perByte := (float64(allocated) - float64(requests)*exchange) / float64((&plog.ProtoMarshaler{}).LogsSize(ld))
		t.Logf("%s: %d bytes allocated, %.1f per OTLP byte besides %d requests of %.0f", name, allocated, perByte, requests, exchange)
		return hostilePush{name, allocated, perByte}
	}
	out := []hostilePush{measure("tiny", tiny), measure("huge", huge), measure("tiny after huge", tiny)}
	require.Empty(t, refusedBy(s))
	return out
}

// hostileAllocPerByte bounds what a push allocates per OTLP byte, in the
// exporter and the sink that reads and checks the requests (the wire
// format of a tiny record is several times its OTLP size), besides what
// its requests cost as such. hostileAfterHuge bounds what the tiny records
// cost after the huge one against what they cost before it: the same
// work, give or take what pools keep between pushes. The sizes keep the
// suite quick: a buffer sized from the huge record times the tiny records'
// count would still allocate hundreds of times the tiny push. The bound per
// byte is loose: a format sending a request per event (Teams) has the
// median exchange taken off each, which is noisy, and lands near a tighter
// bound now and then.
const (
	hostileAllocPerByte = 512
	hostileAfterHuge    = 1.5
	hostileTinyRecords  = 200
	hostileHugeRecord   = 1 << 20
)

func refusedBy(s *testsink.Sink) []string {
	var out []string
	for _, r := range s.Requests() {
		if r.Refused != "" {
			out = append(out, r.Refused)
		}
	}
	return out
}

// acceptedHead is b's service's answer to a request, with a status that may
// carry a body.
func acceptedHead(b builtin.Builtin, n int) builtin.Answer {
	a := b.Service.Accept(n)
	if a.Status == http.StatusNoContent {
		a.Status = http.StatusOK
	}
	return a
}

// padAnswer answers as the service does, then pads with whitespace (still
// the same JSON) up to limit bytes, or without end when limit is 0, until
// the client stops reading; it records the bytes that reached each
// connection.
func padAnswer(b builtin.Builtin, limit int64, written *writtenBytes) testsink.AnswerFunc {
	pad := []byte(strings.Repeat(" ", 32<<10))
	return func(w http.ResponseWriter, r *testsink.Request) {
		a := acceptedHead(b, r.Events)
		w.Header().Set("Content-Type", a.ContentType)
		w.WriteHeader(a.Status)
		total, _ := w.Write([]byte(a.Body))
		defer func() { written.add(total) }()
		for limit == 0 || int64(total) < limit {
			n, err := w.Write(pad)
			total += n
			if err != nil {
				return
			}
		}
	}
}

// writtenBytes is the bytes of each answer written.
type writtenBytes struct {
	mu      sync.Mutex
	answers []int
}

func (w *writtenBytes) add(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.answers = append(w.answers, n)
}

func (w *writtenBytes) max() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Max(append(w.answers, 0))
}

// hostileAnswerBytes bounds what the exporter reads of one answer, the
// connection's buffers included.
const hostileAnswerBytes = 4 << 20

// An accepting answer far longer than any outcome needs is read only as far as it tells the
// outcome: the events are delivered and the rest is left unread.
func hostileLongAnswer(t *testing.T, b builtin.Builtin) {
	hostileAnswer(t, b, 64<<20)
}

// An accepting answer that never ends is read only as far as it tells the
// outcome: the push ends, the events delivered.
func hostileEndlessAnswer(t *testing.T, b builtin.Builtin) {
	hostileAnswer(t, b, 0)
}

func hostileAnswer(t *testing.T, b builtin.Builtin, limit int64) {
	s := testsink.New(t, b)
	written := &writtenBytes{}
	s.Answer(padAnswer(b, limit, written))
	exp := startExporter(t, hostileCfg(t, s))
	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedBatch...)))
	// The exporter has read the answers; the handlers end when their
	// connections are closed under them.
	s.Close()
	require.Empty(t, refusedBy(s))
	require.NotEmpty(t, written.answers)
	t.Logf("the server wrote at most %d bytes of an answer", written.max())
	assert.Less(t, written.max(), hostileAnswerBytes, "bytes of an answer the server could write before the client closed")
}

// A receiver that refuses and echoes the request's credentials (as they
// are and in base64, first, where a cut text keeps them) and its path into
// every text of its refusal gets no secret into an error, a log line or a
// dead letter; its text does reach them, marked.
func hostileEchoingAnswer(t *testing.T, b builtin.Builtin) {
	s := testsink.New(t, b)
	headers := []string{"X-Api-Key"}
	if b.Credential != nil {
		headers = append(headers, b.Credential.Header)
	}
	s.Answer(func(w http.ResponseWriter, r *testsink.Request) {
		echo := []string{hostileEchoMark}
		for _, k := range headers {
			v := r.Header.Get(k)
			echo = append(echo, k+": "+v, k+" (base64): "+base64.StdEncoding.EncodeToString([]byte(v)))
		}
		echo = append(echo, "path: "+r.Path)
		a := b.Service.Refuse
		w.Header().Set("Content-Type", a.ContentType)
		w.WriteHeader(a.Status)
		_, _ = w.Write(echoInto(a.Body, strings.Join(echo, "; ")))
	})
	// Without dead letters the push returns the refusal as its error; with
	// them it succeeds, the events kept, and the text is in the file.
	lost := startExporter(t, hostileCfg(t, s))
	err := lost.ConsumeLogs(context.Background(), seedLogs(t, seedBatch...))
	require.Error(t, err, "the receiver refused every request")
	cfg := hostileCfg(t, s)
	cfg.DeadLetter = DeadLetterConfig{Enabled: true, Directory: t.TempDir(), MaxSizeMiB: 8}
	exp := startExporter(t, cfg)
	require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedBatch...)), "every refused event is kept")

	texts := []string{err.Error()}
	for _, e := range append(lost.logs.All(), exp.logs.All()...) {
		fields, _ := json.Marshal(e.ContextMap())
		texts = append(texts, e.Message+" "+string(fields))
	}
	texts = append(texts, spanTexts(lost)...)
	texts = append(texts, spanTexts(exp)...)
	files, _ := filepath.Glob(filepath.Join(cfg.DeadLetter.Directory, "*"))
	require.NotEmpty(t, files, "the refused events are dead-lettered")
	for _, f := range files {
		content, readErr := os.ReadFile(f)
		require.NoError(t, readErr)
		texts = append(texts, string(content))
	}
	assert.Contains(t, strings.Join(texts, "\n"), hostileEchoMark, "the receiver's text is kept somewhere: otherwise nothing was checked")
	secrets := []string{hostileSecret}
	if b.Service.TestSecret != "" {
		secrets = append(secrets, b.Service.TestSecret)
	}
	assert.Empty(t, echosink.Leaks(texts, secrets))
}

// hostileEchoMark starts what an echoing receiver puts in its answers.
const hostileEchoMark = "echoed-by-the-receiver"

// echoInto writes echo into every string of a JSON answer, or after a
// text one, where a receiver puts the reason of its refusal.
func echoInto(body, echo string) []byte {
	var v any
	if json.Unmarshal([]byte(body), &v) != nil {
		return []byte(body + " " + echo)
	}
	var walk func(any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case string:
			return v + " " + echo
		case map[string]any:
			for k := range v {
				v[k] = walk(v[k])
			}
		case []any:
			for i := range v {
				v[i] = walk(v[i])
			}
		}
		return v
	}
	out, _ := json.Marshal(walk(v))
	return out
}

// A routing attribute set in a record's body as well as in its attributes
// routes by the attribute: whoever writes event content picks no index,
// sourcetype or tag.
func hostileRoutingFromBody(t *testing.T, b builtin.Builtin) {
	var routes []string
	if b.Routes != nil {
		routes = b.Routes(hostileCfg(t, testsink.New(t, b)).formatSettings())
	}
	if len(routes) == 0 {
		t.Skip("the format reads no routing attribute")
	}
	for _, key := range routes {
		t.Run(key, func(t *testing.T) {
			s := testsink.New(t, b)
			exp := startExporter(t, hostileCfg(t, s))
			ld := recordsOf(map[string]any{key: "from-body", "msg": "hostile"})
			ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().PutStr(key, "from-attribute")
			require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
			taken := s.Taken()
			require.Len(t, taken, 1, "refused: %v", refusedBy(s))
			// The attribute's value appears nowhere else: the body's key
			// comes first among the event's data.
			sent := taken[0].Path + "\n" + string(taken[0].Body)
			assert.Contains(t, sent, "from-attribute", "the event is routed by its attribute %s", key)
		})
	}
}

// With a persistent queue, what the receiver settled before a shutdown
// (accepted, or refused and dead-lettered) is neither sent nor
// dead-lettered again after the restart. The events are many and large
// enough that a format bounding its requests sends them apart; a service
// answering for each event (AnswerEach) is answered so; a format that
// sends a batch in one request to a service answering for it as a whole
// settles nothing before the restart, and the case checks only that the
// events arrive after it.
func hostileRestart(t *testing.T, b builtin.Builtin) {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i := range hostileRestartEvents {
		lr := lrs.AppendEmpty()
		lr.SetEventName("hostile")
		// The marker first, where a format cutting a large event keeps it.
		body := lr.Body().SetEmptyMap()
		body.PutStr("marker", fmt.Sprintf("marker-%04d", i))
		body.PutStr("pad", strings.Repeat("p", hostileRestartPad))
	}
	// The last event is answered 503 before the restart, the one before it
	// refused with 400.
	hold := fmt.Sprintf("marker-%04d", hostileRestartEvents-1)
	refuse := fmt.Sprintf("marker-%04d", hostileRestartEvents-2)
	store := memstorage.New()
	host := &storageHost{ext: map[component.ID]component.Component{storageID: store}}
	deadLetters := t.TempDir()

	first := testsink.New(t, b)
	before := &markerTally{}
	first.Answer(func(w http.ResponseWriter, r *testsink.Request) {
		if b.Service.AnswerEach != nil {
			testsink.Write(w, b.Service.AnswerEach(before.addEach(r, hold, refuse)))
			return
		}
		status := before.add(r, hold, refuse)
		if status/100 == 2 {
			testsink.Write(w, b.Service.Accept(r.Events))
			return
		}
		w.WriteHeader(status)
	})
	exp := startHostileQueueExporter(t, first, host, deadLetters)
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	// Every event was tried, and the one held tried again.
	waitFor(t, func() bool { return before.done(hostileRestartEvents, 2) }, first)
	require.NoError(t, exp.Shutdown(context.Background()))
	t.Logf("%d requests before the restart; %d of %d events accepted", len(first.Taken()), len(before.accepted), hostileRestartEvents)

	second := testsink.New(t, b)
	after := &markerTally{}
	second.Answer(func(w http.ResponseWriter, r *testsink.Request) {
		after.add(r, "", "")
		testsink.Write(w, b.Service.Accept(r.Events))
	})
	exp = startHostileQueueExporter(t, second, host, deadLetters)
	waitFor(t, func() bool { return after.sent(hold) }, second)
	require.NoError(t, exp.Shutdown(context.Background()))
	var again []string
	for m := range after.seen {
		if before.accepted[m] {
			again = append(again, m)
		}
	}
	slices.Sort(again)
	assert.Empty(t, again, "accepted before the restart, sent again after it")
	files, _ := filepath.Glob(filepath.Join(deadLetters, "*"))
	refusals := 0
	for _, f := range files {
		content, err := os.ReadFile(f)
		require.NoError(t, err)
		for line := range strings.Lines(string(content)) {
			if strings.Contains(line, refuse) {
				refusals++
			}
		}
	}
	assert.LessOrEqual(t, refusals, 1, "dead letters of the event refused before the restart")
}

// The restart case's events: enough, and large enough, that every format
// bounding its requests sends them in more than one.
const (
	hostileRestartEvents = 24
	hostileRestartPad    = 56 << 10
)

var markerPattern = regexp.MustCompile(`marker-[0-9]{4}`)

// markerTally is what a sink saw of the restart case's events, by marker,
// and answered.
type markerTally struct {
	mu       sync.Mutex
	seen     map[string]bool
	accepted map[string]bool
	held     int
}

// add tallies r and says how to answer it: 503 when it holds the marker
// hold, 400 when it holds refuse, else 200.
func (m *markerTally) add(r *testsink.Request, hold, refuse string) int {
	// The events as the service reads them (SecOps's are base64 in the body).
	markers := markerPattern.FindAllString(string(bytes.Join(r.EventBodies, nil)), -1)
	status := statusOf(markers, hold, refuse)
	m.tally(markers, status)
	return status
}

// addEach tallies r's events one by one and says how to answer each.
func (m *markerTally) addEach(r *testsink.Request, hold, refuse string) []int {
	statuses := make([]int, len(r.EventBodies))
	for i, ev := range r.EventBodies {
		markers := markerPattern.FindAllString(string(ev), -1)
		statuses[i] = statusOf(markers, hold, refuse)
		m.tally(markers, statuses[i])
	}
	return statuses
}

func statusOf(markers []string, hold, refuse string) int {
	switch {
	case hold != "" && slices.Contains(markers, hold):
		return http.StatusServiceUnavailable
	case refuse != "" && slices.Contains(markers, refuse):
		return http.StatusBadRequest
	}
	return http.StatusOK
}

func (m *markerTally) tally(markers []string, status int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen, m.accepted = map[string]bool{}, map[string]bool{}
	}
	for _, marker := range markers {
		m.seen[marker] = true
		if status == http.StatusOK {
			m.accepted[marker] = true
		}
	}
	if status == http.StatusServiceUnavailable {
		m.held++
	}
}

// done says whether every one of n events was seen and the held one
// held at least times.
func (m *markerTally) done(n, times int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seen) == n && m.held >= times
}

func (m *markerTally) sent(marker string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seen[marker]
}

// startHostileQueueExporter starts the exporter of s's format with a queue
// kept in host's storage, unlimited retries and dead letters in a directory.
func startHostileQueueExporter(t *testing.T, s *testsink.Sink, host component.Host, deadLetters string) exporter.Logs {
	t.Helper()
	cfg := testCfg("")
	require.NoError(t, confmap.NewFromStringMap(s.Settings()).Unmarshal(cfg))
	cfg.RetryConfig.MaxElapsedTime = 0
	cfg.QueueConfig.Get().StorageID = &storageID
	cfg.DeadLetter = DeadLetterConfig{Enabled: true, Directory: deadLetters, MaxSizeMiB: 64}
	require.NoError(t, cfg.Validate())
	tel := componenttest.NewTelemetry()
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	exp, err := createLogsClocked(context.Background(), set, cfg, pacedTestClock(cfg))
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), host))
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return exp
}

// waitFor waits until done says so, failing the test after a minute with
// what s saw.
func waitFor(t *testing.T, done func() bool, s *testsink.Sink) {
	t.Helper()
	for range 6000 {
		if done() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	var seen []string
	for _, r := range s.Requests() {
		seen = append(seen, fmt.Sprintf("%d events answered %d %s", r.Events, r.Status, r.Refused))
	}
	t.Fatalf("not done in a minute; the sink saw: %v", seen)
}
