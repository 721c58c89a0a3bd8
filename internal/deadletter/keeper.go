package deadletter

import (
	"time"

	"github.com/sentyr/webhookexporter/internal/mapping"
)

// All picks every event of a batch, for the same reason.
func All(why Dropped) func(int) (Dropped, bool) {
	return func(int) (Dropped, bool) { return why, true }
}

// Keeper gives up on events: it keeps each as a dead letter (when
// dead_letter is on), counts them and adds them to the drop log's totals.
type Keeper struct {
	Writer    *Writer // nil when dead_letter is off
	Telemetry *Telemetry
	Drops     *DropLog
	// Where the events were going, as their dead letters say.
	Exporter, Endpoint, Format string
}

// Filter counts events left out on purpose, for reason: they are no
// drop to keep or to log.
func (k *Keeper) Filter(reason string, events int) {
	if events > 0 {
		k.Telemetry.Record(reason, events, 0, 0, "")
	}
}

// GiveUp accounts for the events of a that pick names, by their index:
// one dead letter each (when dead_letter is on), the drop counters, and
// the drop log's totals. It returns how many of them are lost: not kept
// as a dead letter.
func (k *Keeper) GiveUp(a *mapping.Arrays, pick func(i int) (Dropped, bool)) (lost int) {
	type group struct {
		events, written, notWritten int
		detail, cause               string
		err                         error
	}
	groups := map[string]*group{}
	var order []string
	var file *File
	var lines Lines
	now := time.Now().UTC()
	for i := range a.Events {
		why, ok := pick(i)
		if !ok {
			continue
		}
		g := groups[why.Reason]
		if g == nil {
			g = &group{}
			groups[why.Reason] = g
			order = append(order, why.Reason)
		}
		g.events++
		g.detail = why.Detail
		if k.Writer == nil {
			continue
		}
		if file == nil {
			file = k.Writer.Open()
		}
		// Each line is written as soon as it is built: memory holds
		// one dead letter, however many the batch gives up on.
		if cause, err := file.Failed(); err != nil {
			g.notWritten++
			g.cause, g.err = cause, err
			continue
		}
		info := Info{
			Time: now, Exporter: k.Exporter, Endpoint: k.Endpoint, Format: k.Format,
			Reason: why.Reason, Detail: why.Detail, Status: why.Status, EventID: a.ID(i),
		}
		rl, sl, lr := a.Origin(i)
		line, err := lines.Build(rl, sl, lr, &info)
		if err != nil {
			g.notWritten++
			g.cause, g.err = WriteFailedError, err
			continue
		}
		if cause, err := file.Write(line); err != nil {
			g.notWritten++
			g.cause, g.err = cause, err
			continue
		}
		g.written++
	}
	if file != nil {
		if err := file.Close(); err != nil {
			// Not known to be on disk: counted as not written.
			for _, g := range groups {
				if g.written > 0 {
					g.notWritten += g.written
					g.written = 0
					g.cause, g.err = WriteFailedError, err
				}
			}
		}
	}
	for _, reason := range order {
		g := groups[reason]
		k.Telemetry.Record(reason, g.events, g.written, g.notWritten, g.cause)
		k.Drops.Add(reason, g.detail, g.events, g.written, g.notWritten, g.err)
		lost += g.events - g.written
	}
	return lost
}
