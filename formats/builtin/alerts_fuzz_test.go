package builtin

import (
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/sentyr/webhookexporter/formats"
	"github.com/sentyr/webhookexporter/formats/internal/formatstest"
	"github.com/sentyr/webhookexporter/internal/fuzzdata"
)

// hostileAlertEvents are events whose content tries every markup and
// every limit of the alerting services.
func hostileAlertEvents(t testing.TB) []formats.Event {
	big := strings.Repeat("<!channel> *b* [x](https://evil) &amp; \n", 100<<10/40)
	var many []any
	for i := range 600 {
		many = append(many, fmt.Sprintf("<k%d>", i), big[:i%200])
	}
	deep := map[string]any{"v": big}
	for range 40 {
		deep = map[string]any{"d": deep}
	}
	events := []formats.Event{
		serviceEvent(t, "mention", "<!channel>", "link", "<https://evil|click>", "bold", "*bold* **b** _i_", "big", big, "lines", "a\nb\r\n\x00"),
		serviceEvent(t, many...),
		serviceEvent(t, "deep", deep, "list", []any{big, big, big}),
		serviceEvent(t),
	}
	events[0].Type = "<!here> " + big
	events[0].Source = big
	return events
}

// judgedEvents checks that every request encoded for events is one its
// service takes (Service.Judge), or the event was rejected with a reason.
func judgedEvents(t *testing.T, events []formats.Event) {
	for _, b := range Builtins() {
		if b.Service.Judge == nil {
			continue
		}
		s, err := tableSettings(b)
		if err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		enc, err := b.New(s)
		if err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		batch, err := enc.Encode(events)
		if err != nil {
			t.Fatalf("%s: Encode: %v", b.Name, err)
		}
		checkBatch(t, batch, len(events), oneValue)
		for _, r := range batch.Requests {
			if a := b.Service.Judge(r.Body); a != nil {
				t.Fatalf("%s: the service refuses a request (%d %.200s): %.300s", b.Name, a.Status, a.Body, r.Body)
			}
		}
		for _, rej := range batch.Rejected {
			if rej.Err == nil {
				t.Fatalf("%s: event %d rejected without a reason", b.Name, rej.Index)
			}
		}
		batch.Release()
	}
}

// Every format whose service judges content (PagerDuty, Slack, Teams)
// makes of hostile events only requests the service takes: markup
// escaped, limits kept.
func TestEveryJudgedServiceTakesHostileEvents(t *testing.T) {
	judgedEvents(t, hostileAlertEvents(t))
}

// The same for any events the fuzzer makes, their ids as the exporter
// makes them.
func FuzzEveryJudgedServiceTakesItsEncoder(f *testing.F) {
	f.Add([]byte("seed"))
	f.Add([]byte(strings.Repeat("<!channel>*_[](`~\\&", 40)))
	f.Fuzz(func(t *testing.T, data []byte) {
		events := formatstest.FuzzEvents(fuzzdata.New(data))
		for i := range events {
			events[i].ID = fmt.Sprintf("%032x", i)
			events[i].Attributes = pcommon.NewMap()
		}
		judgedEvents(t, events)
	})
}
