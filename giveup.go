package webhookexporter

import (
	"time"

	"github.com/sentyr/webhookexporter/internal/mapping"
)

// allDropped picks every event of a batch, for the same reason.
func allDropped(why dropped) func(int) (dropped, bool) {
	return func(int) (dropped, bool) { return why, true }
}

// giveUp accounts for the events of a that pick names, by their index:
// one dead letter each (when dead_letter is on), the drop counters, and
// the drop log's totals. It returns how many of them are lost: not kept
// as a dead letter.
func (e *webhookExporter) giveUp(a *mapping.Arrays, pick func(i int) (dropped, bool)) (lost int) {
	type group struct {
		events, written, notWritten int
		detail, cause               string
		err                         error
	}
	groups := map[string]*group{}
	var order []string
	var file *deadLetterFile
	var lines deadLetterLines
	now := time.Now().UTC()
	for i := range a.Events {
		why, ok := pick(i)
		if !ok {
			continue
		}
		g := groups[why.reason]
		if g == nil {
			g = &group{}
			groups[why.reason] = g
			order = append(order, why.reason)
		}
		g.events++
		g.detail = why.detail
		if e.deadLetters == nil {
			continue
		}
		if file == nil {
			file = e.deadLetters.open()
		}
		// Each line is written as soon as it is built: memory holds
		// one dead letter, however many the batch gives up on.
		if cause, err := file.failed(); err != nil {
			g.notWritten++
			g.cause, g.err = cause, err
			continue
		}
		info := deadLetterInfo{
			Time: now, Exporter: e.id, Endpoint: e.sender.endpoint, Format: e.cfg.Format,
			Reason: why.reason, Detail: why.detail, Status: why.status, EventID: a.ID(i),
		}
		ref := &a.Records[i]
		line, err := lines.build(ref.Resource, ref.ScopeLogs, ref.Record, &info)
		if err != nil {
			g.notWritten++
			g.cause, g.err = writeFailedError, err
			continue
		}
		if cause, err := file.write(line); err != nil {
			g.notWritten++
			g.cause, g.err = cause, err
			continue
		}
		g.written++
	}
	if file != nil {
		if err := file.close(); err != nil {
			// Not known to be on disk: counted as not written.
			for _, g := range groups {
				if g.written > 0 {
					g.notWritten += g.written
					g.written = 0
					g.cause, g.err = writeFailedError, err
				}
			}
		}
	}
	for _, reason := range order {
		g := groups[reason]
		e.telemetry.record(reason, g.events, g.written, g.notWritten, g.cause)
		e.drops.add(reason, g.detail, g.events, g.written, g.notWritten, g.err)
		lost += g.events - g.written
	}
	return lost
}
