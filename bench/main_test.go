package bench_test

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/sentyr/webhookexporter/internal/bench"
)

func TestMain(m *testing.M) {
	if bench.IsSinkProcess() {
		if err := bench.RunSink(); err != nil {
			fmt.Fprintln(os.Stderr, "sink:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	// Stopping the sink closes the connections that otlphttpexporter
	// leaves idle after Shutdown, so that goleak sees only real leaks.
	if err := sink.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the sink:", err)
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// sink is the one sink process that all push benchmarks of a run share,
// started by the first that needs it so that plain `go test` starts none.
var sink sharedSink

type sharedSink struct {
	once sync.Once
	proc *bench.SinkProcess
	err  error
}

func (s *sharedSink) url(b *testing.B) string {
	b.Helper()
	s.once.Do(func() { s.proc, s.err = bench.StartSinkProcess() })
	if s.err != nil {
		b.Fatal(s.err)
	}
	return s.proc.URL
}

func (s *sharedSink) stop() error {
	if s.proc == nil {
		return nil
	}
	return s.proc.Stop()
}
