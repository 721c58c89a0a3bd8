package delivery

import (
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/internal/redact"
)

// noRedirects makes the client hand a 3xx back instead of following it.
// Go follows 301-303 as a GET without the body (whose 2xx would count the
// events delivered) and 307/308 as a new POST to wherever Location points,
// with every header the auth extension adds: its RoundTripper runs again
// on each hop, so Go's stripping of Authorization across hosts does not
// protect it. Nothing goes to a Location.
func noRedirects(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}

func isRedirect(status int) bool {
	return status >= 300 && status <= 399
}

// redirectLocation is the answer's Location, resolved against the request
// URL, without user info and query; "(none)" when the answer has none.
func redirectLocation(resp *http.Response) string {
	loc, err := resp.Location()
	if err != nil {
		return "(none)"
	}
	return redact.URL(loc.String())
}

// redirected records a 3xx: the events are retried, with an error line.
// They are retried because the endpoint may be moved back (Standard
// Webhooks retries 3xx too); the error says what to change if it is not.
func (d *delivery) redirected(req *formats.Request, resp *response) {
	endpoint := d.sender.endpoint
	d.logger.Error("The receiver answered with a redirect, which the exporter does not follow; the events are retried. "+
		"If the receiver has moved, set endpoint to the location",
		zap.Int("status", resp.status),
		zap.String("endpoint", endpoint),
		zap.String("location", resp.location),
		zap.Int("events", len(req.Events)))
	err := fmt.Errorf("request to %s answered %d %s with Location %s, which the exporter does not follow; "+
		"if the receiver has moved, set endpoint to that location", endpoint, resp.status, http.StatusText(resp.status), resp.location)
	d.markRetry(req, err, resp.retryAfter)
}

// probeRedirect fails a connection check that was answered with a 3xx.
func probeRedirect(p *probe, status int, location string) bool {
	if !isRedirect(status) {
		return false
	}
	p.Reason = fmt.Sprintf("the receiver answered %d %s with Location %s, which the exporter does not follow", status, http.StatusText(status), location)
	p.Fix = "if the receiver has moved, set endpoint (or connection_check::endpoint) to that location"
	return true
}
