package delivery

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/configretry"

	"github.com/sentyr/webhookexporter/formats/builtin"
	"github.com/sentyr/webhookexporter/internal/redact"
)

// The receiver's answer: what is kept of it, read within limits, and what
// the texts made of it may quote.

// response is what the exporter keeps of an HTTP answer.
type response struct {
	status     int
	body       []byte
	retryAfter time.Duration
	location   string // of a 3xx, for log lines: no user info, no query
	// sent is what the request carried, to be taken out of texts made of
	// the answer; secrets is built from it on first use.
	sent    *sentHeaders
	secrets *redact.Secrets
}

// readAnswer reads up to limit bytes of resp's body and closes it. Like
// io.ReadAll it returns what it read with the error that stopped it.
func readAnswer(resp *http.Response, sent *sentHeaders, limit int64) (*response, error) {
	return readFormatAnswer(resp, sent, answerBounds{body: limit, wait: maxRetryAfter}, nil)
}

// answerBounds is what the exporter keeps of an answer at most: body
// bytes, and the wait a Retry-After may ask for.
type answerBounds struct {
	body int64
	wait time.Duration
}

// maxRetryAfter bounds a Retry-After when neither max_elapsed_time nor
// max_interval is set (see retryAfterCap).
const maxRetryAfter = 5 * time.Minute

// retryAfterCap is the longest wait a Retry-After may impose. With
// max_elapsed_time, that time: a longer wait ends the retries (see
// retry.go), so the receiver's ask is honoured while it can be. Without
// it, max_interval, the longest the exporter waits between tries of its
// own: a receiver asking for more (Retry-After: 2147483647) would
// otherwise park the batch for ever.
func retryAfterCap(rc configretry.BackOffConfig) time.Duration {
	switch {
	case rc.MaxElapsedTime > 0:
		return rc.MaxElapsedTime
	case rc.MaxInterval > 0:
		return rc.MaxInterval
	}
	return maxRetryAfter
}

// readFormatAnswer is readAnswer for a delivery, whose format may settle
// the answer by its head (see readAnswerBody); settled is nil when it
// cannot.
func readFormatAnswer(resp *http.Response, sent *sentHeaders, bounds answerBounds, settled func(status int, head []byte) bool) (*response, error) {
	defer resp.Body.Close()
	out := &response{status: resp.StatusCode, retryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now(), bounds.wait), sent: sent}
	if isRedirect(resp.StatusCode) {
		out.location = out.redactor().Cut(redirectLocation(resp))
	}
	var err error
	out.body, err = readAnswerBody(resp.Body, resp.StatusCode, bounds.body, settled)
	// Drain what is left, within a bound, so the connection can be reused;
	// closing a body not read to its end closes the connection.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, builtin.AnswerBytes))
	return out, err
}

// redact takes the request's credentials out of text made of the answer.
func (r *response) redact(text string) string {
	return r.redactor().String(text, 0)
}

func (r *response) redactor() *redact.Secrets {
	if r.secrets == nil {
		r.secrets = r.sent.secrets()
	}
	return r.secrets
}

func (r *response) err(endpoint string) error {
	return fmt.Errorf("request to %s answered %d %s: %s", endpoint, r.status, http.StatusText(r.status), r.snippet())
}

// snippet is the start of the body, safe to put in one log line: the
// credentials are taken out before it is cut, so none is cut in half.
func (r *response) snippet() string {
	return r.redactor().Cut(string(r.body))
}

// retryAfter reads Retry-After in both its forms, seconds or an HTTP
// date, as a wait of at most limit.
func retryAfter(value string, now time.Time, limit time.Duration) time.Duration {
	if value == "" {
		return 0
	}
	// Past int64 is ErrRange with the largest value: a wait as long as any.
	if secs, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64); (err == nil || errors.Is(err, strconv.ErrRange)) && secs > 0 {
		return min(time.Duration(min(secs, int64(limit/time.Second)+1))*time.Second, limit)
	}
	if at, err := http.ParseTime(value); err == nil && at.After(now) {
		return min(at.Sub(now), limit)
	}
	return 0
}

// readAnswerBody reads an answer of at most limit bytes. A format that can
// settle a 2xx answer from its head (builtin.Wire.Settled) gets the head
// alone when it does: the rest is read off the connection, so that the
// connection is reused, into a buffer that is not kept. A _bulk answer
// has an item for every document, most of its length, which would
// otherwise be kept, copied as it grows and collected on every push.
func readAnswerBody(body io.Reader, status int, limit int64, settled func(status int, head []byte) bool) ([]byte, error) {
	if status < 200 || status > 299 {
		// Judged by the status, or a HEC code, and quoted in part.
		limit = min(limit, builtin.AnswerBytes)
	}
	if settled == nil || status < 200 || status > 299 {
		return io.ReadAll(io.LimitReader(body, limit))
	}
	head := make([]byte, builtin.AnswerHead)
	n, err := io.ReadFull(body, head)
	head = head[:n]
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return head, nil // the whole answer
	}
	if err != nil {
		return head, err
	}
	if settled(status, head) {
		// Bounded as a kept answer is: a receiver that never ends its
		// answer does not hold the request.
		_, err := io.Copy(io.Discard, io.LimitReader(body, limit-int64(n)))
		return head, err
	}
	rest, err := io.ReadAll(io.LimitReader(body, limit-int64(n)))
	return append(head, rest...), err
}
