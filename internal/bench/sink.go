package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sentyr/webhookexporter/formats/builtin"
)

// sinkEnv makes a benchmark binary serve as the HTTP sink instead of
// running benchmarks. The sink runs in a process of its own so that the
// CPU it spends reading bodies is not counted against the exporters.
const sinkEnv = "WEBHOOK_BENCH_SINK"

// SinkHandler reads and discards the body and answers as a fast receiver
// of the path's service would, as the format table describes its answer
// to a request it took (Splunk HEC's success code, Datadog's 202, ...); on
// Elasticsearch _bulk paths the answer Elasticsearch gives when every
// document was created (one item per document, with its action, _index
// and _id, as long as Elasticsearch's own); 200 with no body on any other
// path (OTLP). Reading a 1000-item _bulk answer is part of what a push
// costs, so the sink must not answer less than the service.
func SinkHandler() http.Handler {
	answers := map[string]builtin.Answer{}
	for _, b := range builtin.Builtins() {
		path, _, _ := strings.Cut(b.Service.Path, "?")
		if _, ok := answers[path]; !ok && b.Service.Accept != nil {
			answers[path] = b.Service.Accept(1)
		}
	}
	var seqNo atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bulk := strings.HasSuffix(r.URL.Path, "/_bulk")
		var body []byte
		var err error
		if bulk {
			body, err = io.ReadAll(r.Body)
		} else {
			_, err = io.Copy(io.Discard, r.Body)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		answer, ok := answers[r.URL.Path]
		switch {
		case bulk:
			b, err := BulkAnswer(body, pathIndex(r.URL.Path), &seqNo)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			answer = builtin.Answer{Status: http.StatusOK, ContentType: "application/json", Body: string(b)}
		case !ok:
			answer = builtin.Answer{Status: http.StatusOK}
		}
		if answer.ContentType != "" {
			w.Header().Set("Content-Type", answer.ContentType)
		}
		w.WriteHeader(answer.Status)
		_, _ = io.WriteString(w, answer.Body)
	})
}

// pathIndex is the index a /<index>/_bulk path names, if any.
func pathIndex(path string) string {
	path = strings.TrimSuffix(path, "/_bulk")
	return path[strings.LastIndexByte(path, '/')+1:]
}

// BulkAnswer is Elasticsearch's answer to a _bulk body whose documents
// were all created: for every action line an item named after the action
// with its _index (the path's, index, where the action names none), _id,
// version, result, shards, sequence number and status 201, in the order
// of the actions. seqNo numbers the documents. A body whose actions are
// not create or index, each with its document line, is refused, as
// Elasticsearch refuses it.
func BulkAnswer(body []byte, index string, seqNo *atomic.Int64) ([]byte, error) {
	out := make([]byte, 0, 256+len(body)/2)
	out = append(out, `{"errors":false,"took":3,"items":[`...)
	n := 0
	for len(body) > 0 {
		action, rest, _ := bytes.Cut(body, []byte{'\n'})
		body = rest
		if len(bytes.TrimSpace(action)) == 0 {
			continue
		}
		op := jsonMember(action, `{"`)
		if string(op) != "create" && string(op) != "index" {
			return nil, fmt.Errorf("_bulk action %d: %.200q is not create or index", n+1, action)
		}
		doc, rest, _ := bytes.Cut(body, []byte{'\n'})
		if len(bytes.TrimSpace(doc)) == 0 {
			return nil, fmt.Errorf("_bulk action %d has no document line", n+1)
		}
		body = rest
		if n > 0 {
			out = append(out, ',')
		}
		n++
		out = append(out, `{"`...)
		out = append(out, op...)
		out = append(out, `":{"_index":"`...)
		if named := jsonMember(action, `"_index":"`); named != nil {
			out = append(out, named...)
		} else {
			out = append(out, index...)
		}
		out = append(out, `","_id":"`...)
		out = append(out, jsonMember(action, `"_id":"`)...)
		out = append(out, `","_version":1,"result":"created","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":`...)
		out = strconv.AppendInt(out, seqNo.Add(1)-1, 10)
		out = append(out, `,"_primary_term":1,"status":201}}`...)
	}
	return append(out, "]}"...), nil
}

// jsonMember is the text after the first prefix in line up to the next
// quote: a member's string value as an action line of this exporter
// writes it (no escapes in index names or ids).
func jsonMember(line []byte, prefix string) []byte {
	i := bytes.Index(line, []byte(prefix))
	if i < 0 {
		return nil
	}
	v := line[i+len(prefix):]
	if j := bytes.IndexByte(v, '"'); j >= 0 {
		return v[:j]
	}
	return nil
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
