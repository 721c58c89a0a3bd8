package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// sinkEnv makes a benchmark binary serve as the HTTP sink instead of
// running benchmarks. The sink runs in a process of its own so that the
// CPU it spends reading bodies is not counted against the exporters.
const sinkEnv = "WEBHOOK_BENCH_SINK"

// SinkHandler reads and discards the body and answers 200 as a fast
// receiver of the path's service would: Splunk HEC's success code on HEC
// paths, a _bulk answer without errors on Elasticsearch _bulk paths, no
// body elsewhere (webhooks, OTLP, Datadog).
func SinkHandler() http.Handler {
	hecOK := []byte(`{"text":"Success","code":0}`)
	bulkOK := []byte(`{"took":1,"errors":false,"items":[]}`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var answer []byte
		switch {
		case strings.HasPrefix(r.URL.Path, "/services/collector"):
			answer = hecOK
		case strings.HasSuffix(r.URL.Path, "/_bulk"):
			answer = bulkOK
		}
		if answer != nil {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(answer)
	})
}

// IsSinkProcess says whether this process was started by StartSinkProcess.
func IsSinkProcess() bool { return os.Getenv(sinkEnv) == "1" }

// RunSink serves SinkHandler on a loopback port, writes its URL as the
// first line of stdout, and returns when stdin closes (when the parent
// stops it or dies). Call it from TestMain when IsSinkProcess is true.
func RunSink() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: SinkHandler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Printf("http://%s\n", ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = srv.Close()
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// SinkProcess is a running sink in a child process.
type SinkProcess struct {
	URL   string
	cmd   *exec.Cmd
	stdin io.Closer
}

// StartSinkProcess starts this test binary again as a sink and waits for
// its URL.
func StartSinkProcess() (*SinkProcess, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), sinkEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		_ = stdin.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("the sink process did not start (%q): %v", line, err)
	}
	return &SinkProcess{URL: strings.TrimSpace(line), cmd: cmd, stdin: stdin}, nil
}

// Stop ends the sink process and waits for it.
func (s *SinkProcess) Stop() error {
	_ = s.stdin.Close()
	return s.cmd.Wait()
}
