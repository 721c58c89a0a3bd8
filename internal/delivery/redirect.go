package delivery

import (
	"net/http"

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
