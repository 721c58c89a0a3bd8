package securityevents

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/internal/redact"
)

// eventsReceiver serves the configured path: it checks each request,
// decodes every event of it and hands them on together, and answers only
// once the pipeline took or refused them.
type eventsReceiver struct {
	cfg      *Config
	settings receiver.Settings
	next     consumer.Logs
	obsrecv  *receiverhelper.ObsReport
	verify   func(*http.Request, []byte) error
	now      func() time.Time

	server *http.Server
	addr   string // where it listens, once started
	served sync.WaitGroup
}

func newReceiver(cfg *Config, set receiver.Settings, next consumer.Logs) (*eventsReceiver, error) {
	obsrecv, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "http",
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	return &eventsReceiver{
		cfg:      cfg,
		settings: set,
		next:     next,
		obsrecv:  obsrecv,
		verify:   newVerifier(&cfg.Verify),
		now:      time.Now,
	}, nil
}

func (r *eventsReceiver) Start(ctx context.Context, host component.Host) error {
	ln, err := r.cfg.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("securityevents: listening on %s: %w", r.cfg.NetAddr.Endpoint, err)
	}
	// serveEvents matches the path itself: a ServeMux would read the
	// configured path as a pattern.
	r.server, err = r.cfg.ToServer(ctx, host.GetExtensions(), r.settings.TelemetrySettings, http.HandlerFunc(r.serveEvents))
	if err != nil {
		_ = ln.Close()
		return err
	}
	r.addr = ln.Addr().String()
	r.settings.Logger.Info("Accepting security events",
		zap.String("endpoint", "http://"+r.addr+r.cfg.Path),
		zap.String("verify", r.cfg.Verify.describe()))
	r.served.Add(1)
	go func() {
		defer r.served.Done()
		if err := r.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.settings.Logger.Error("The securityevents server stopped", zap.Error(err))
		}
	}()
	return nil
}

// Shutdown waits for the requests in flight: each is answered after the
// pipeline took or refused its events, so none is accepted and left.
func (r *eventsReceiver) Shutdown(ctx context.Context) error {
	if r.server == nil {
		return nil
	}
	err := r.server.Shutdown(ctx)
	r.served.Wait()
	return err
}

func (r *eventsReceiver) serveEvents(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != r.cfg.Path {
		http.NotFound(w, req)
		return
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "securityevents: POST events to "+r.cfg.Path, http.StatusMethodNotAllowed)
		return
	}
	// A credential in a header is checked before the body is read: a
	// request without one costs no more than its headers, and a sender
	// that asks first (Expect: 100-continue) never sends the body.
	signed := r.cfg.Verify.Method == methodHMAC
	if !signed && r.unauthorized(w, req, nil) {
		return
	}
	body, err := r.readBody(req)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			r.refuse(w, req, http.StatusRequestEntityTooLarge,
				fmt.Sprintf("the body is larger than max_request_body_size (%d bytes); post fewer events at a time", tooLarge.Limit))
			return
		}
		r.refuse(w, req, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	if signed && r.unauthorized(w, req, body) {
		return
	}
	logs, err := decodeEvents(body, r.now())
	if err != nil {
		r.refuse(w, req, http.StatusBadRequest, err.Error())
		return
	}
	n := logs.LogRecordCount()
	if n == 0 {
		writeAccepted(w, 0)
		return
	}
	ctx := r.obsrecv.StartLogsOp(req.Context())
	err = r.next.ConsumeLogs(ctx, logs)
	r.obsrecv.EndLogsOp(ctx, "json", n, err)
	if err != nil {
		// As the OTLP receiver answers: a permanent refusal will not
		// change on a retry, anything else may.
		status := http.StatusServiceUnavailable
		if consumererror.IsPermanent(err) {
			status = http.StatusBadRequest
		}
		r.refuse(w, req, status, "the collector's pipeline refused the events: "+redact.Cut(err.Error()))
		return
	}
	writeAccepted(w, n)
}

// readBody reads the body into one buffer of its announced length, when
// that is within max_request_body_size, rather than growing one by
// doubling to twice that.
func (r *eventsReceiver) readBody(req *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	if n := req.ContentLength; n > 0 && n <= r.cfg.MaxRequestBodySize {
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(req.Body)
	return buf.Bytes(), err
}

// unauthorized answers 401 when the request fails verify.
func (r *eventsReceiver) unauthorized(w http.ResponseWriter, req *http.Request, body []byte) bool {
	err := r.verify(req, body)
	if err == nil {
		return false
	}
	if r.cfg.Verify.Method == methodBasic {
		w.Header().Set("WWW-Authenticate", `Basic realm="securityevents"`)
	}
	r.refuse(w, req, http.StatusUnauthorized, err.Error())
	return true
}

// refuse answers an error; the reason never holds a credential, as no
// check quotes what it was given.
func (r *eventsReceiver) refuse(w http.ResponseWriter, req *http.Request, status int, reason string) {
	r.settings.Logger.Debug("Refused a request of security events",
		zap.Int("status", status), zap.String("remote", req.RemoteAddr), zap.String("reason", reason))
	http.Error(w, "securityevents: "+reason, status)
}

func writeAccepted(w http.ResponseWriter, n int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, `{"accepted":`+strconv.Itoa(n)+"}\n")
}
