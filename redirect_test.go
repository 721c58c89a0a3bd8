package webhookexporter

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"

	"github.com/sentyr/webhookexporter/internal/testsink"
)

var redirectStatuses = []int{
	http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
	http.StatusTemporaryRedirect, http.StatusPermanentRedirect,
}

// movedTo is a Location server that answers 200 to anything, and the
// Location of it that a redirect names: with user info and a query, which
// log lines must leave out.
func movedTo(t *testing.T) (*testsink.Sink, string, string) {
	t.Helper()
	other := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusOK) })
	u, err := url.Parse(other.URL + "/new/hook")
	require.NoError(t, err)
	shown := u.String()
	// A hostile Location may also quote a credential of the request.
	u.Path += "/HEADER-SECRET"
	shown += "/[redacted]"
	u.User = url.UserPassword("moved", "LOCATION-SECRET")
	u.RawQuery = "sig=LOCATION-QUERY-SECRET"
	return other, u.String(), shown
}

// TestRedirectIsRetriedAndNotFollowed: a 3xx sends nothing to the
// Location (no GET that would count the events delivered, no POST that
// takes the credentials elsewhere); the events are sent again to the
// endpoint, and an error line names the status and the Location without
// its secrets.
func TestRedirectIsRetriedAndNotFollowed(t *testing.T) {
	for _, status := range redirectStatuses {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			other, location, shown := movedTo(t)
			s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, n int) {
				if n == 0 {
					w.Header().Set("Location", location)
					w.WriteHeader(status)
					return
				}
				w.WriteHeader(http.StatusOK)
			})
			cfg := withoutQueue(testCfg(s.URL + "/hook"))
			cfg.ClientConfig.Headers.Set("X-Api-Key", configopaque.String("HEADER-SECRET"))
			exp := startExporter(t, cfg)

			require.NoError(t, exp.ConsumeLogs(context.Background(), seedLogs(t, seedBatch...)))

			assert.Zero(t, len(other.Requests()), "nothing reaches the Location")
			reqs := s.Wait(t, 1)
			require.Len(t, reqs, 2, "the redirect, then the retry to the endpoint")
			assert.Equal(t, reqs[0].Body, reqs[1].Body, "the retry sends the same events")
			assert.Equal(t, int64(len(seedBatch)), sentRecords(t, exp), "counted delivered once, by the retry")

			lines := exp.logs.FilterMessageSnippet("redirect")
			require.Equal(t, 1, lines.Len())
			fields := lines.All()[0].ContextMap()
			assert.EqualValues(t, status, fields["status"])
			assert.Equal(t, shown, fields["location"])
			assert.Contains(t, lines.All()[0].Message, "set endpoint to the location")
			for _, e := range exp.logs.All() {
				for _, secret := range []string{"LOCATION-SECRET", "LOCATION-QUERY-SECRET", "HEADER-SECRET"} {
					assert.NotContains(t, e.Message+fmt.Sprint(e.ContextMap()), secret)
				}
			}
		})
	}
}

// TestRedirectIsNotDelivered: without retries, a 3xx is a failure: the
// events are not counted delivered, and the error names the Location.
func TestRedirectIsNotDelivered(t *testing.T) {
	for _, status := range redirectStatuses {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			other, location, shown := movedTo(t)
			s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.Header().Set("Location", location)
				w.WriteHeader(status)
			})
			cfg := withoutQueue(testCfg(s.URL))
			cfg.RetryConfig.Enabled = false
			cfg.ClientConfig.Headers.Set("X-Api-Key", configopaque.String("HEADER-SECRET"))
			exp := startExporter(t, cfg)

			err := exp.ConsumeLogs(context.Background(), seedLogs(t, seedExample))

			require.Error(t, err)
			assert.Contains(t, err.Error(), fmt.Sprintf("answered %d", status))
			assert.Contains(t, err.Error(), "Location "+shown)
			assert.Contains(t, err.Error(), "set endpoint to that location")
			assert.NotContains(t, err.Error(), "LOCATION-SECRET")
			assert.NotContains(t, err.Error(), "LOCATION-QUERY-SECRET")
			assert.NotContains(t, err.Error(), "HEADER-SECRET")
			assert.Zero(t, sentRecords(t, exp))
			assert.Zero(t, len(other.Requests()), "nothing reaches the Location")
		})
	}
}

// TestConnectionCheckDoesNotFollowRedirects: the check's GET (elastic) and
// its test event POST (json) fail on a 3xx, naming the Location, and send
// nothing there.
func TestConnectionCheckDoesNotFollowRedirects(t *testing.T) {
	for _, format := range []string{"json", "elastic"} {
		for _, status := range redirectStatuses {
			t.Run(fmt.Sprintf("%s/%d", format, status), func(t *testing.T) {
				other, location, shown := movedTo(t)
				s := testsink.NewRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
					w.Header().Set("Location", location)
					w.WriteHeader(status)
				})
				cfg := testCfg(s.URL + "/sentyr/_bulk")
				cfg.Format = format
				cfg.ConnectionCheck.Enabled = true
				cfg.ConnectionCheck.FailOnError = true
				cfg.ClientConfig.Headers.Set("X-Api-Key", configopaque.String("HEADER-SECRET"))
				require.NoError(t, confmap.Validate(cfg))

				logs, err := startChecked(t, cfg)

				require.Error(t, err)
				assert.Contains(t, err.Error(), fmt.Sprintf("answered %d", status))
				assert.Contains(t, err.Error(), "Location "+shown)
				assert.Contains(t, err.Error(), "set endpoint")
				assert.NotContains(t, err.Error(), "LOCATION-SECRET")
				assert.NotContains(t, err.Error(), "HEADER-SECRET")
				assert.Zero(t, len(other.Requests()), "nothing reaches the Location")
				assert.Equal(t, 1, len(s.Requests()))
				require.Equal(t, 1, logs.FilterMessageSnippet("Connection check failed").Len())
			})
		}
	}
}
