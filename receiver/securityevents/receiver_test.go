package securityevents

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/sentyr/webhookexporter/auth"
	"github.com/sentyr/webhookexporter/internal/authclient"
	"github.com/sentyr/webhookexporter/internal/raceflag"
)

// counter is the sum of a receiver counter of the collector's telemetry.
func counter(t *testing.T, s *started, name string) int64 {
	t.Helper()
	m, err := s.tel.GetMetric(name)
	require.NoError(t, err, name)
	var n int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		n += dp.Value
	}
	return n
}

// TestReceiverHandsOn: a valid request is handed on whole and answered
// 200 with the count, which the receiver's telemetry counts as accepted.
func TestReceiverHandsOn(t *testing.T) {
	sink := new(consumertest.LogsSink)
	s := startReceiver(t, testConfig(), sink)
	status, answer := post(t, s.url, []byte(guideEvent+"\n"+guideEvent), nil)
	assert.Equal(t, http.StatusOK, status, answer)
	assert.JSONEq(t, `{"accepted": 2}`, answer)
	assert.Equal(t, 2, sink.LogRecordCount())
	assert.Equal(t, int64(2), counter(t, s, "otelcol_receiver_accepted_log_records"))
}

// TestReceiverRefusesWholeRequest: one invalid event refuses the request
// with 400 naming it, and none of its events is handed on.
func TestReceiverRefusesWholeRequest(t *testing.T) {
	sink := new(consumertest.LogsSink)
	s := startReceiver(t, testConfig(), sink)
	body := guideEvent + guideEvent + `{"event_type": "x", "severity": "urgent"}`
	status, answer := post(t, s.url, []byte(body), nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, answer, "event 3: severity: must be one of info, warning, error or critical")
	assert.Zero(t, sink.LogRecordCount())
}

// TestReceiverPipelineRefusal answers as the OTLP receiver does: 503 for
// a refusal that may pass on a retry, 400 for a permanent one; both are
// counted as refused.
func TestReceiverPipelineRefusal(t *testing.T) {
	for _, tt := range []struct {
		name   string
		err    error
		status int
	}{
		{"retryable", errors.New("queue is full"), http.StatusServiceUnavailable},
		{"permanent", consumererror.NewPermanent(errors.New("bad data")), http.StatusBadRequest},
		{"long reason", errors.New(strings.Repeat("reason ", 10_000)), http.StatusServiceUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := startReceiver(t, testConfig(), consumertest.NewErr(tt.err))
			status, answer := post(t, s.url, []byte(guideEvent), nil)
			assert.Equal(t, tt.status, status)
			assert.Contains(t, answer, "the collector's pipeline refused the events")
			assert.Less(t, len(answer), 1024, "the pipeline's reason is cut")
			assert.Equal(t, int64(1), counter(t, s, "otelcol_receiver_refused_log_records"))
		})
	}
}

// TestReceiverRequestBounds: a body over max_request_body_size (as sent or
// once decompressed) is refused with 413; other paths and methods too.
func TestReceiverRequestBounds(t *testing.T) {
	cfg := testConfig()
	cfg.Path = "/events/{id" // a path, not a ServeMux pattern (which this one would break)
	cfg.MaxRequestBodySize = 1000
	sink := new(consumertest.LogsSink)
	s := startReceiver(t, cfg, sink)

	big := []byte(`{"event_type": "x", "data": {"pad": "` + strings.Repeat("a", 2000) + `"}}`)
	status, answer := post(t, s.url, big, nil)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	assert.Contains(t, answer, "max_request_body_size")

	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write(big)
	require.NoError(t, zw.Close())
	require.Less(t, zipped.Len(), 1000)
	status, _ = post(t, s.url, zipped.Bytes(), http.Header{"Content-Encoding": {"gzip"}})
	assert.Contains(t, []int{http.StatusRequestEntityTooLarge, http.StatusBadRequest}, status, "decompressed beyond the bound")

	resp, err := http.Get(s.url)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, http.MethodPost, resp.Header.Get("Allow"))

	status, _ = post(t, strings.TrimSuffix(s.url, "/events/{id")+"/events/1", []byte(guideEvent), nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Zero(t, sink.LogRecordCount())
}

func send(t *testing.T, client *http.Client, url string, body []byte) (int, string) {
	t.Helper()
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var answer bytes.Buffer
	_, err = answer.ReadFrom(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, answer.String()
}

const whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// TestReceiverVerify: for each method, what the webhookauth extension
// sends with the receiver's secret passes; with another secret, or with
// nothing, the request gets 401 and nothing is handed on. Neither the
// answer nor a log line holds a secret.
func TestReceiverVerify(t *testing.T) {
	apiKey := func(value, header string) *auth.Config {
		c := auth.NewFactory().CreateDefaultConfig().(*auth.Config)
		c.APIKey = configoptional.Some(auth.APIKeyConfig{Value: configopaque.String(value), Header: header})
		return c
	}
	bearer := func(token string) *auth.Config {
		c := auth.NewFactory().CreateDefaultConfig().(*auth.Config)
		c.BearerToken = configopaque.String(token)
		return c
	}
	basic := func(user, password string) *auth.Config {
		c := auth.NewFactory().CreateDefaultConfig().(*auth.Config)
		c.Basic = configoptional.Some(auth.BasicConfig{Username: user, Password: configopaque.String(password)})
		return c
	}
	hmac := func(h auth.HMACConfig) *auth.Config {
		c := auth.NewFactory().CreateDefaultConfig().(*auth.Config)
		if h.Header == "" && h.Scheme != auth.SchemeStandardWebhooks {
			h.Header = "X-Signature"
		}
		c.HMAC = configoptional.Some(h)
		return c
	}
	for _, tt := range []struct {
		name        string
		verify      VerifyConfig
		right       *auth.Config
		wrong       *auth.Config
		compression configcompression.Type
		secrets     []string
	}{
		{"api_key", VerifyConfig{Method: methodAPIKey, Secret: "key-RIGHT"},
			apiKey("key-RIGHT", "X-API-Key"), apiKey("key-WRONG", "X-API-Key"), "", []string{"key-RIGHT", "key-WRONG"}},
		{"api_key in Authorization", VerifyConfig{Method: methodAPIKey, Secret: "Splunk hec-RIGHT", Header: "Authorization"},
			apiKey("Splunk hec-RIGHT", "Authorization"), apiKey("Splunk hec-RIGHT", "X-API-Key"), "", []string{"hec-RIGHT"}},
		{"bearer_token", VerifyConfig{Method: methodBearer, Secret: "tok-RIGHT"},
			bearer("tok-RIGHT"), bearer("tok-WRONG"), "", []string{"tok-RIGHT", "tok-WRONG"}},
		{"basic", VerifyConfig{Method: methodBasic, Username: "svc", Secret: "pw-RIGHT"},
			basic("svc", "pw-RIGHT"), basic("svc", "pw-WRONG"), "", []string{"pw-RIGHT", "pw-WRONG"}},
		{"hmac sorted_json", VerifyConfig{Method: methodHMAC, Secret: "sec-RIGHT"},
			hmac(auth.HMACConfig{Secret: "sec-RIGHT"}), hmac(auth.HMACConfig{Secret: "sec-WRONG"}), "", []string{"sec-RIGHT", "sec-WRONG"}},
		{"hmac sorted_json, gzip", VerifyConfig{Method: methodHMAC, Secret: "sec-RIGHT"},
			hmac(auth.HMACConfig{Secret: "sec-RIGHT"}), hmac(auth.HMACConfig{Secret: "sec-WRONG"}), configcompression.TypeGzip, []string{"sec-RIGHT", "sec-WRONG"}},
		{"hmac raw", VerifyConfig{Method: methodHMAC, Scheme: auth.SchemeRaw, Secret: "sec-RIGHT", Header: "X-Hub-Signature-256", Prefix: "sha256="},
			hmac(auth.HMACConfig{Scheme: auth.SchemeRaw, Secret: "sec-RIGHT", Header: "X-Hub-Signature-256", Prefix: "sha256="}),
			hmac(auth.HMACConfig{Scheme: auth.SchemeRaw, Secret: "sec-WRONG", Header: "X-Hub-Signature-256", Prefix: "sha256="}), "", []string{"sec-RIGHT", "sec-WRONG"}},
		{"hmac raw, timestamped", VerifyConfig{Method: methodHMAC, Scheme: auth.SchemeRaw, Secret: "sec-RIGHT", TimestampHeader: "X-Timestamp"},
			hmac(auth.HMACConfig{Scheme: auth.SchemeRaw, Secret: "sec-RIGHT", TimestampHeader: "X-Timestamp"}),
			hmac(auth.HMACConfig{Scheme: auth.SchemeRaw, Secret: "sec-RIGHT"}), "", []string{"sec-RIGHT"}},
		{"hmac standard_webhooks", VerifyConfig{Method: methodHMAC, Scheme: auth.SchemeStandardWebhooks, Secret: whsec},
			hmac(auth.HMACConfig{Scheme: auth.SchemeStandardWebhooks, Secret: whsec}),
			hmac(auth.HMACConfig{Scheme: auth.SchemeStandardWebhooks, Secret: configopaque.String("whsec_AAAA" + whsec[10:])}), "", []string{whsec[6:]}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Verify = tt.verify
			sink := new(consumertest.LogsSink)
			s := startReceiver(t, cfg, sink)

			status, answer := send(t, authclient.New(t, tt.right, tt.compression), s.url, []byte(guideEvent))
			assert.Equal(t, http.StatusOK, status, answer)
			assert.Equal(t, 1, sink.LogRecordCount())

			var answers []string
			status, answer = send(t, authclient.New(t, tt.wrong, tt.compression), s.url, []byte(guideEvent))
			assert.Equal(t, http.StatusUnauthorized, status, answer)
			answers = append(answers, answer)
			status, answer = post(t, s.url, []byte(guideEvent), nil)
			assert.Equal(t, http.StatusUnauthorized, status, answer)
			answers = append(answers, answer)
			assert.Equal(t, 1, sink.LogRecordCount(), "nothing refused is handed on")

			var logged strings.Builder
			for _, e := range s.logs.All() {
				logged.WriteString(e.Message)
				for k, v := range e.ContextMap() {
					logged.WriteString(" " + k + "=" + strings.TrimSpace(strings.ReplaceAll(stringOf(v), "\n", " ")))
				}
				logged.WriteString("\n")
			}
			assert.Contains(t, logged.String(), "status=401", "refusals are logged at debug level")
			for _, secret := range tt.secrets {
				for _, a := range answers {
					assert.NotContains(t, a, secret)
				}
				assert.NotContains(t, logged.String(), secret)
			}
		})
	}
}

func stringOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// blocking hands on only when released, and says when it was called.
type blocking struct {
	called, release chan struct{}
}

func (b *blocking) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }
func (b *blocking) ConsumeLogs(context.Context, plog.Logs) error {
	close(b.called)
	<-b.release
	return nil
}

// TestReceiverShutdownAnswersInFlight: a request whose events the pipeline
// is taking when the collector stops is answered with the pipeline's
// verdict before Shutdown returns, so no event is accepted and left.
func TestReceiverShutdownAnswersInFlight(t *testing.T) {
	next := &blocking{called: make(chan struct{}), release: make(chan struct{})}
	cfg := testConfig()
	s := startReceiver(t, cfg, next)
	var wg sync.WaitGroup
	var status int
	wg.Add(1)
	go func() {
		defer wg.Done()
		status, _ = post(t, s.url, []byte(guideEvent), nil)
	}()
	<-next.called
	shut := make(chan error, 1)
	go func() { shut <- s.rcv.Shutdown(context.Background()) }()
	close(next.release)
	require.NoError(t, <-shut)
	wg.Wait()
	assert.Equal(t, http.StatusOK, status)
}

// TestReceiverChecksHeadersFirst: a request without the API key is
// refused on its headers: a sender that asks first (Expect: 100-continue,
// as curl does for large bodies) never sends its body, here one that
// would never end.
func TestReceiverChecksHeadersFirst(t *testing.T) {
	cfg := testConfig()
	cfg.Verify = VerifyConfig{Method: methodAPIKey, Secret: "key"}
	s := startReceiver(t, cfg, new(consumertest.LogsSink))
	body, feed := io.Pipe()
	var endedByBound atomic.Bool
	answered := make(chan struct{})
	go func() {
		select {
		case <-answered:
		case <-time.After(time.Minute): // only stops a broken receiver from hanging the test
			endedByBound.Store(true)
		}
		_ = feed.Close()
	}()
	req, err := http.NewRequest(http.MethodPost, s.url, body)
	require.NoError(t, err)
	req.Header.Set("Expect", "100-continue")
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	close(answered)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.False(t, endedByBound.Load(), "the answer came only once the body ended")
}

// TestReadBodyAllocatesItsLength: a body of announced length is read into
// one buffer of about that size, not grown by doubling to twice it.
func TestReadBodyAllocatesItsLength(t *testing.T) {
	raceflag.SkipAllocationBound(t)
	const size = 8 << 20
	r := &eventsReceiver{cfg: testConfig()}
	r.cfg.MaxRequestBodySize = 20 << 20
	payload := bytes.Repeat([]byte("x"), size)
	req, err := http.NewRequest(http.MethodPost, "http://localhost/events", bytes.NewReader(payload))
	require.NoError(t, err)
	require.Equal(t, int64(size), req.ContentLength)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	body, err := r.readBody(req)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Len(t, body, size)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(size+size/8), "bytes allocated to read %d", size)
}
