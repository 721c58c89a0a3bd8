package webhookexporter

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sentyr/webhookexporter/internal/deadletter"
	"github.com/sentyr/webhookexporter/internal/testsink"
)

// fsizeChild names the directory of the child process that
// TestDeadLetterWriteCutShortLeavesWholeLines runs under a file size limit.
const fsizeChild = "WEBHOOK_TEST_FSIZE_CHILD_DIR"

// A write cut short (here by the file size limit, RLIMIT_FSIZE, as a quota
// or a full disk would) leaves no fragment: the part written is cut back
// off, the dead letters not written are counted so, and once there is room
// again the next dead letter starts on a line of its own, every line an
// OTLP/JSON request that webhookreplay takes. The limit applies to the
// whole process, so a child process of the test binary runs the case.
func TestDeadLetterWriteCutShortLeavesWholeLines(t *testing.T) {
	if dir := os.Getenv(fsizeChild); dir != "" {
		deadLettersUnderAFileSizeLimit(t, dir)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeadLetterWriteCutShortLeavesWholeLines$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), fsizeChild+"="+t.TempDir())
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the child process:\n%s", out)
	require.Contains(t, string(out), "--- PASS: TestDeadLetterWriteCutShortLeavesWholeLines")
}

func deadLettersUnderAFileSizeLimit(t *testing.T, dir string) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusBadRequest) })
	cfg := withoutQueue(testCfg(s.URL))
	cfg.DeadLetter = DeadLetterConfig{Enabled: true, Directory: dir, MaxSizeMiB: 1}
	exp := startExporter(t, cfg)
	path := onlyFile(t, dir)

	// A line of these records is a little longer than this one; the limit
	// falls inside the second line of the first push.
	ld := numberedLogs(3, 100)
	rl := ld.ResourceLogs().At(0)
	sl := rl.ScopeLogs().At(0)
	line, err := deadletter.Line(rl, sl, sl.LogRecords().At(0), &deadletter.Info{Time: seedTime, Reason: deadletter.Refused})
	require.NoError(t, err)
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim))
	limited := lim
	limited.Cur = uint64(len(line) + len(line)/2)
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limited))
	require.Error(t, exp.ConsumeLogs(context.Background(), ld))
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim))
	first := readDeadLetterFile(t, path)
	require.Len(t, first, 1, "the line that fits, and no fragment of the next")

	require.NoError(t, exp.ConsumeLogs(context.Background(), numberedLogs(2, 100)))
	got := readDeadLetterFile(t, path)
	require.Len(t, got, 3)
	assert.Equal(t, first[0].raw, got[0].raw)
	assert.Equal(t, map[string]int64{deadletter.Refused: 3}, metricByReason(t, exp.telemetry, metricDeadLetters))
	assert.Equal(t, map[string]int64{deadletter.Refused + "/" + deadletter.WriteFailedError: 2}, metricByReason(t, exp.telemetry, metricDeadLettersFailed))
}

// Dead letters built one after the other carry each its own record's
// resource and scope, however the batch mixes them.
func TestDeadLettersOfSeveralResourcesAndScopes(t *testing.T) {
	s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusBadRequest) })
	cfg := withDeadLetters(t, withoutQueue(testCfg(s.URL)))
	exp := startExporter(t, cfg)
	ld := plog.NewLogs()
	for r := range 2 {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutInt("resource", int64(r))
		for sc := range 2 {
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName(fmt.Sprintf("scope-%d", sc))
			for i := range 2 {
				lr := sl.LogRecords().AppendEmpty()
				lr.Attributes().PutStr("at", fmt.Sprintf("%d/%d/%d", r, sc, i))
			}
		}
	}
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	got := readDeadLetterFile(t, onlyFile(t, cfg.DeadLetter.Directory))
	require.Len(t, got, 8)
	for i, dl := range got {
		r, sc := i/4, i/2%2
		at, _ := dl.record.Attributes().Get("at")
		assert.Equal(t, fmt.Sprintf("%d/%d/%d", r, sc, i%2), at.Str())
		res, _ := dl.logs.ResourceLogs().At(0).Resource().Attributes().Get("resource")
		assert.Equal(t, int64(r), res.Int(), at.Str())
		assert.Equal(t, fmt.Sprintf("scope-%d", sc), dl.logs.ResourceLogs().At(0).ScopeLogs().At(0).Scope().Name(), at.Str())
	}
}
