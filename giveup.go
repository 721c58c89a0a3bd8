package webhookexporter

import (
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
)

// allDropped picks every event of a batch, for the same reason.
func allDropped(why dropped) func(int) (dropped, bool) {
	return func(int) (dropped, bool) { return why, true }
}

// giveUp accounts for the events of ld that pick names, by their index in
// record order: one dead letter each (when dead_letter is on), the drop
// counters, and the drop log's totals.
func (e *webhookExporter) giveUp(ld plog.Logs, pick func(i int) (dropped, bool)) {
	type group struct {
		lines          [][]byte
		events, failed int
		detail         string
		err            error
	}
	groups := map[string]*group{}
	var order []string
	now := time.Now().UTC()
	var scratch []byte
	idx := 0
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			var scope idDigest
			scoped := false
			for _, lr := range sl.LogRecords().All() {
				why, ok := pick(idx)
				idx++
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
				if !scoped {
					scratch, scope = scopeDigest(scratch, rl.Resource().Attributes(), sl.Scope().Name())
					scoped = true
				}
				var d idDigest
				scratch, d = recordDigest(scratch, scope, lr)
				info := deadLetterInfo{
					Time: now, Exporter: e.id, Endpoint: e.sender.endpoint, Format: e.cfg.Format,
					Reason: why.reason, Detail: why.detail, Status: why.status, EventID: idString(d),
				}
				line, err := deadLetterLine(rl, sl, lr, &info)
				if err != nil {
					g.failed++
					g.err = err
					continue
				}
				g.lines = append(g.lines, line)
			}
		}
	}
	for _, reason := range order {
		g := groups[reason]
		written, notWritten, cause := 0, g.failed, ""
		if g.failed > 0 {
			cause = writeFailedError
		}
		if e.deadLetters != nil {
			var c string
			var err error
			written, c, err = e.deadLetters.write(g.lines)
			notWritten += len(g.lines) - written
			if err != nil {
				cause, g.err = c, err
			}
		}
		e.telemetry.record(reason, g.events, written, notWritten, cause)
		e.drops.add(reason, g.detail, g.events, written, notWritten, g.err)
	}
}
