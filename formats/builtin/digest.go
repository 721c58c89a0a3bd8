package builtin

import (
	"fmt"
	"time"

	"github.com/sentyr/webhookexporter/formats"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// DigestConfig is the digest setting: when more than After events of one
// type arrive within Window, the first After go as they are and the rest
// of the window's become one event that says how many and shows the first
// of them. Every event is still counted. After 0 turns it off.
type DigestConfig struct {
	After  int           `mapstructure:"after"`
	Window time.Duration `mapstructure:"window"`
}

// Check checks the digest setting at config load.
func (c DigestConfig) Check() error {
	switch {
	case c.After < 0:
		return fmt.Errorf("digest::after: %d is negative; write how many events of a type a window sends as they are, e.g. 5 (0 turns the digest off)", c.After)
	case c.After > 0 && c.Window <= 0:
		return fmt.Errorf("digest::window: not set; write how long a window lasts, e.g. 1m")
	case c.After > 0 && c.Window < time.Second:
		return fmt.Errorf("digest::window: %s is under a second; write e.g. 1m", c.Window)
	}
	return nil
}

// digestMaxTypes bounds the types a digester keeps a window for: event
// types come from event content, and each open window keeps its first
// folded event. An event of a further type goes as it is.
const digestMaxTypes = 256

// Digester folds a storm of events of one type into digests (see
// DigestConfig). It is not safe for concurrent use; its clock is the
// caller's.
type Digester struct {
	cfg     DigestConfig
	windows map[string]*digestWindow
	ready   []formats.Event // digests of windows that ended, for Due
}

type digestWindow struct {
	start  time.Time
	seen   int           // events of the type in the window
	folded int           // of them, folded into the digest
	first  formats.Event // the first folded event, copied
	worst  string
}

// NewDigester returns a digester, nil when the digest is off.
func NewDigester(cfg DigestConfig) *Digester {
	if cfg.After <= 0 {
		return nil
	}
	return &Digester{cfg: cfg, windows: map[string]*digestWindow{}}
}

// Admit says whether ev goes as it is (true), or is folded into its
// type's digest (false), at time now. A folded event is the caller's to
// count; the digester keeps a copy of the first folded event of a window,
// so the caller may reuse ev's pdata after the call.
func (d *Digester) Admit(ev *formats.Event, now time.Time) bool {
	if d == nil {
		return true
	}
	w := d.windows[ev.Type]
	if w != nil && now.Sub(w.start) >= d.cfg.Window {
		// The window ended: its digest waits for Due, a new one starts.
		if w.folded > 0 {
			d.ready = append(d.ready, digestEvent(w, d.cfg.Window))
		}
		delete(d.windows, ev.Type)
		w = nil
	}
	if w == nil {
		if len(d.windows) >= digestMaxTypes {
			return true
		}
		w = &digestWindow{start: now}
		d.windows[ev.Type] = w
	}
	w.seen++
	if w.seen <= d.cfg.After {
		return true
	}
	if w.folded == 0 {
		w.first = copyEvent(ev)
	}
	w.folded++
	if severityRank(ev.Severity) > severityRank(w.worst) || w.worst == "" {
		w.worst = ev.Severity
	}
	return false
}

// Due returns the digests of the windows that ended by now, and forgets
// those windows. A digest is an event of the first folded event's type,
// id, time and attributes, of the worst severity folded, whose data are
// digest_count (the events folded), digest_window and then the first
// folded event's data.
func (d *Digester) Due(now time.Time) []formats.Event {
	if d == nil {
		return nil
	}
	out := d.ready
	d.ready = nil
	for typ, w := range d.windows {
		if now.Sub(w.start) < d.cfg.Window {
			continue
		}
		delete(d.windows, typ)
		if w.folded > 0 {
			out = append(out, digestEvent(w, d.cfg.Window))
		}
	}
	return out
}

// Pending is how many events are folded into digests not yet due.
func (d *Digester) Pending() int {
	if d == nil {
		return 0
	}
	n := 0
	for _, ev := range d.ready {
		n += int(ev.Data[0].Value.Int())
	}
	for _, w := range d.windows {
		n += w.folded
	}
	return n
}

func digestEvent(w *digestWindow, window time.Duration) formats.Event {
	ev := w.first
	ev.Severity = w.worst
	count, span := pcommon.NewValueInt(int64(w.folded)), pcommon.NewValueStr(window.String())
	ev.Data = append([]formats.Field{{Key: "digest_count", Value: count}, {Key: "digest_window", Value: span}}, ev.Data...)
	return ev
}

// copyEvent copies ev with its own pdata, which the exporter reuses once
// a push ends.
func copyEvent(ev *formats.Event) formats.Event {
	out := *ev
	out.Data = make([]formats.Field, len(ev.Data))
	for i, f := range ev.Data {
		v := pcommon.NewValueEmpty()
		f.Value.CopyTo(v)
		out.Data[i] = formats.Field{Key: f.Key, Value: v}
	}
	out.Body = pcommon.NewValueEmpty()
	out.Attributes, out.Resource = copyMap(ev.Attributes), copyMap(ev.Resource)
	return out
}

func copyMap(m pcommon.Map) pcommon.Map {
	out := pcommon.NewMap()
	if m != (pcommon.Map{}) {
		m.CopyTo(out)
	}
	return out
}
