package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/faultsink"
)

const (
	crashIDKey     = "crash_id"
	crashEvents    = 200
	crashPerPost   = 10
	crashRetryLine = "Exporting failed. Will retry the request after interval."
)

// crashConfig is a collector that takes OTLP/HTTP and delivers to endpoint
// through a queue kept on disk in dir.
const crashConfig = `
extensions:
  file_storage/queue:
    directory: %[1]s
receivers:
  otlp:
    protocols:
      http:
        endpoint: %[2]s
exporters:
  webhook:
    endpoint: http://%[3]s/events
    timeout: 2s
    retry_on_failure:
      initial_interval: 50ms
      max_interval: 200ms
      max_elapsed_time: 0
    sending_queue:
      storage: file_storage/queue
      num_consumers: 4
service:
  extensions: [file_storage/queue]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [webhook]
`

// TestCrashWithPersistentQueueLosesNothing accepts events while the
// endpoint refuses connections, kills the collector with SIGKILL, brings the
// endpoint up and restarts the collector on the same storage directory:
// every event the OTLP receiver acknowledged must arrive.
func TestCrashWithPersistentQueueLosesNothing(t *testing.T) {
	dir := t.TempDir()
	otlpAddr, sinkAddr := crashFreeAddr(t), crashFreeAddr(t)
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, crashConfig, filepath.Join(dir, "queue"), otlpAddr, sinkAddr), 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "queue"), 0o700))

	// The endpoint is down: nothing listens on sinkAddr.
	first := startCrashProc(t, cfgPath)
	first.waitListening(t, otlpAddr)
	var ids []string
	for post := 0; post < crashEvents/crashPerPost; post++ {
		batch := make([]string, crashPerPost)
		for i := range batch {
			batch[i] = fmt.Sprintf("crash-%03d-%02d", post, i)
		}
		// A 200 means the exporter's queue took the events: on disk.
		crashPostOTLP(t, otlpAddr, batch)
		ids = append(ids, batch...)
	}
	// Let the queue's consumers take events out and fail on them, so that
	// the crash also hits events in the middle of a retry.
	first.waitLog(t, crashRetryLine)
	first.kill(t)

	sink, err := faultsink.NewOn(sinkAddr, faultsink.JSONIDs(crashIDKey), []faultsink.Fault{faultsink.OK}, 0)
	require.NoError(t, err, "the endpoint's port was taken while the collector was down")
	t.Cleanup(sink.Close)

	second := startCrashProc(t, cfgPath)
	missing := sink.WaitAcked(ids, time.Minute)
	require.Empty(t, missing, "%d of %d acknowledged events never arrived after the restart; collector log:\n%s",
		len(missing), len(ids), second.output())
	// The requests the consumers held when the process died went back to
	// the queue rather than being lost with the process.
	second.waitLog(t, "Moved items for dispatching back to queue")
	second.stop(t)
}

// crashFreeAddr is a loopback address where nothing listens yet.
func crashFreeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// waitListening waits until the collector accepts connections on addr.
func (c *crashProc) waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return
		}
		select {
		case <-c.done:
			t.Fatalf("the collector exited before listening on %s:\n%s", addr, c.output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s after 30s: %v\n%s", addr, err, c.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// crashPostOTLP sends one record per id over OTLP/HTTP JSON and requires a 200:
// the receiver's acknowledgement.
func crashPostOTLP(t *testing.T, addr string, ids []string) {
	t.Helper()
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, id := range ids {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
		lr.SetEventName("crash_test")
		lr.Body().SetStr("event accepted before a crash")
		lr.Attributes().PutStr(crashIDKey, id)
	}
	body, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	resp, err := http.Post("http://"+addr+"/v1/logs", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the OTLP receiver did not accept the events")
}

// crashProc is a running distribution process with its output captured.
type crashProc struct {
	cmd  *exec.Cmd
	out  *crashBuffer
	done chan struct{}
}

// crashDist is the binary `make dist` builds.
func crashDist(t *testing.T) string {
	t.Helper()
	bin, err := filepath.Abs(filepath.Join("..", "_build", "otelcol-webhook"))
	require.NoError(t, err)
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("the distribution %s is missing: run make dist (%v)", bin, err)
	}
	return bin
}

func startCrashProc(t *testing.T, cfgPath string) *crashProc {
	t.Helper()
	c := &crashProc{cmd: exec.Command(crashDist(t), "--config", cfgPath), out: &crashBuffer{}, done: make(chan struct{})}
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	require.NoError(t, c.cmd.Start())
	go func() {
		_ = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-c.done
	})
	return c
}

// kill ends the process with SIGKILL: no shutdown, no flush.
func (c *crashProc) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGKILL))
	<-c.done
}

// stop asks for a clean shutdown and waits for it.
func (c *crashProc) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the collector did not stop within 30s of SIGTERM:\n%s", c.output())
	}
}

// waitLog waits until the collector has logged line.
func (c *crashProc) waitLog(t *testing.T, line string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(c.output(), line) {
		select {
		case <-c.done:
			t.Fatalf("the collector exited before logging %q:\n%s", line, c.output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the collector did not log %q within 30s:\n%s", line, c.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *crashProc) output() string { return c.out.String() }

// crashBuffer is a bytes.Buffer that the process's output and the test
// may use at once.
type crashBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *crashBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *crashBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
