package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/sentyr/webhookexporter/formats/builtin"
)

// Targets of issue 7, as ratios baseline ÷ webhook.
const (
	targetOTLPCPU   = 3.0       // otlphttp spends at least 3x the CPU per event
	targetRawWire   = 1 / 1.5   // the raw wire takes at least 2/3 of the time
	targetEncJSON   = 3.0       // encoding/json takes at least 3x the time
	targetAllocs    = 1.0       // allocations per event, 1000-event batches
	targetBatch     = 1000      // the batch size the targets are set for
	webhook         = "webhook" // this exporter's benchmarks
	otlphttp        = "otlphttp"
	rawwire         = "rawwire"
	encodingjson    = "encodingjson"
	unitNs          = "ns/event"
	unitCPU         = "cpu-ns/event"
	unitAllocs      = "allocs/event"
	unitBytes       = "B/event"
	unitWire        = "wire-B/event"
	unitEventsPerSe = "events/s"
	// BenchmarkPushPaired's own metrics.
	paired       = "PushPaired"
	unitOTLPCPU  = "otlphttp-cpu-ns/event"
	unitRawNs    = "rawwire-ns/event"
	unitXOTLPCPU = "x-otlphttp-cpu"
	unitXRawWire = "x-rawwire-time"
)

var targetFormats = map[string]bool{"json": true, "splunk_hec": true}

func write(w io.Writer, rs map[key]result) {
	t := tables{rs: rs, w: w}
	t.push()
	t.paired()
	t.pairedFormats()
	t.encode("Encode", "Encoding only (events mapped before the timer; encoding/json marshals the same events as map[string]any built before the timer)")
	t.encode("MapEncode", "Mapping + encoding from plog.Logs (encoding/json: the same mapping, then the data as map[string]any via AsRaw, then json.Marshal)")
	t.targets()
	t.all()
}

type tables struct {
	rs   map[key]result
	w    io.Writer
	miss []string
}

func (t *tables) get(k key, unit string) (float64, bool) {
	r, ok := t.rs[k]
	if !ok {
		return 0, false
	}
	return r.median(unit)
}

func (t *tables) has(k key) bool {
	_, ok := t.rs[k]
	return ok
}

func (t *tables) formats(group string) []string {
	seen := map[string]bool{}
	for k := range t.rs {
		if k.group == group && k.impl == webhook {
			seen[k.format] = true
		}
	}
	var out []string
	for _, b := range builtin.Builtins() {
		if seen[b.Name] {
			out = append(out, b.Name)
			delete(seen, b.Name)
		}
	}
	rest := make([]string, 0, len(seen))
	for f := range seen {
		rest = append(rest, f)
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func (t *tables) batches(group string) []int {
	seen := map[int]bool{}
	for k := range t.rs {
		if k.group == group {
			seen[k.batch] = true
		}
	}
	out := make([]int, 0, len(seen))
	for b := range seen {
		out = append(out, b)
	}
	sort.Ints(out)
	return out
}

func (t *tables) push() {
	fs := t.formats("Push")
	if len(fs) == 0 {
		return
	}
	t.head("Full push path: ConsumeLogs through exporterhelper to a loopback sink in another process",
		"format", "batch", "events/s", "ns/event", "CPU ns/event", "allocs/event", "B/event", "wire B/event",
		"otlphttp CPU ns/event", "**otlphttp ÷ webhook** (CPU)", "raw wire ns/event", "**raw wire ÷ webhook** (time)")
	t.rows("Push", fs, func(f string, b int, ours key) {
		otlp := key{"Push", otlphttp, "", b}
		raw := key{"Push", rawwire, f, b}
		fmt.Fprintf(t.w, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f, b,
			t.num(ours, unitEventsPerSe), t.num(ours, unitNs), t.num(ours, unitCPU), t.num(ours, unitAllocs),
			t.num(ours, unitBytes), t.num(ours, unitWire),
			t.num(otlp, unitCPU), t.ratio(otlp, ours, unitCPU),
			t.num(raw, unitNs), t.ratio(raw, ours, unitNs))
	})
}

// head starts a table: its title, and a header row whose first column is
// left-aligned and the others, numbers, right-aligned.
func (t *tables) head(title string, columns ...string) {
	fmt.Fprintf(t.w, "### %s\n\n", title)
	fmt.Fprintf(t.w, "| %s |\n", strings.Join(columns, " | "))
	fmt.Fprintf(t.w, "|---%s|\n", strings.Repeat("|---:", len(columns)-1))
}

// rows calls row for each of this exporter's results in group, by format
// and batch size, and ends the table.
func (t *tables) rows(group string, fs []string, row func(format string, batch int, ours key)) {
	for _, f := range fs {
		for _, b := range t.batches(group) {
			if k := (key{group, webhook, f, b}); t.has(k) {
				row(f, b, k)
			}
		}
	}
	fmt.Fprintln(t.w)
}

// paired shows BenchmarkPushPaired: this exporter and its push baselines
// measured in turns, so that the machine's drift does not fall on one of
// them only.
func (t *tables) paired() {
	fs := t.formats(paired)
	if len(fs) == 0 {
		return
	}
	t.head("Full push path in paired turns (otlphttp, webhook and the raw wire take turns within one benchmark)",
		"format", "batch", "ns/event", "CPU ns/event", "otlphttp CPU ns/event", "**otlphttp ÷ webhook** (CPU)",
		"raw wire ns/event", "**raw wire ÷ webhook** (time)")
	t.rows(paired, fs, func(f string, b int, k key) {
		fmt.Fprintf(t.w, "| %s | %d | %s | %s | %s | %sx | %s | %sx |\n", f, b,
			t.num(k, unitNs), t.num(k, unitCPU), t.num(k, unitOTLPCPU), t.num(k, unitXOTLPCPU),
			t.num(k, unitRawNs), t.num(k, unitXRawWire))
	})
}

// pairedFormats shows BenchmarkPushPaired/formats: the formats and
// otlphttpexporter in turns with each other, each format's CPU per event
// as a ratio to json's of the same turns.
func (t *tables) pairedFormats() {
	for _, b := range t.batches(paired) {
		k := key{paired, "formats", "", b}
		if !t.has(k) {
			continue
		}
		t.head(fmt.Sprintf("Formats in paired turns with each other (%d-event pushes)", b),
			"format", "CPU ns/event", "**÷ json** (CPU)")
		for _, f := range []string{"json", "splunk_hec", "elastic", otlphttp} {
			if _, ok := t.get(k, f+"-"+unitCPU); !ok {
				continue
			}
			ratio := "1.00x"
			if f != "json" {
				ratio = "–"
				if x, ok := t.get(k, "x-json-cpu-"+f); ok {
					ratio = fmt.Sprintf("%.2fx", x)
				} else if j, ok := t.get(k, "json-"+unitCPU); ok && j > 0 {
					o, _ := t.get(k, f+"-"+unitCPU)
					ratio = fmt.Sprintf("%.2fx", o/j)
				}
			}
			fmt.Fprintf(t.w, "| %s | %s | %s |\n", f, t.num(k, f+"-"+unitCPU), ratio)
		}
		fmt.Fprintln(t.w)
	}
}

func (t *tables) encode(group, title string) {
	fs := t.formats(group)
	if len(fs) == 0 {
		return
	}
	t.head(title, "format", "batch", "events/s", "ns/event", "CPU ns/event", "allocs/event", "B/event",
		"encoding/json ns/event", "encoding/json allocs/event", "**encoding/json ÷ webhook** (time)")
	t.rows(group, fs, func(f string, b int, ours key) {
		base := key{group, encodingjson, "", b}
		fmt.Fprintf(t.w, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", f, b,
			t.num(ours, unitEventsPerSe), t.num(ours, unitNs), t.num(ours, unitCPU), t.num(ours, unitAllocs), t.num(ours, unitBytes),
			t.num(base, unitNs), t.num(base, unitAllocs), t.ratio(base, ours, unitNs))
	})
}

// targets checks issue 7's targets on the 1000-event batches.
func (t *tables) targets() {
	fmt.Fprintf(t.w, "### Targets (batches of %d events)\n\n", targetBatch)
	fmt.Fprintln(t.w, "| target | format | measured | goal | |")
	fmt.Fprintln(t.w, "|---|---|---:|---:|---|")
	for _, f := range t.formats("Push") {
		if !targetFormats[f] {
			continue
		}
		// Paired turns when the run has them: separate benchmarks
		// each catch another part of the machine's drift.
		if k := (key{paired, webhook, f, targetBatch}); t.has(k) {
			if x, ok := t.get(k, unitXOTLPCPU); ok {
				t.row("push CPU: otlphttp ÷ webhook (paired)", f, x, targetOTLPCPU, x >= targetOTLPCPU, "≥")
			}
			if x, ok := t.get(k, unitXRawWire); ok {
				t.row("push time: raw wire ÷ webhook (paired)", f, x, targetRawWire, x >= targetRawWire, "≥")
			}
			continue
		}
		ours := key{"Push", webhook, f, targetBatch}
		t.check("push CPU: otlphttp ÷ webhook", f, key{"Push", otlphttp, "", targetBatch}, ours, unitCPU, targetOTLPCPU)
		t.check("push time: raw wire ÷ webhook", f, key{"Push", rawwire, f, targetBatch}, ours, unitNs, targetRawWire)
	}
	for _, f := range t.formats("Encode") {
		ours := key{"Encode", webhook, f, targetBatch}
		t.check("encoder time: encoding/json ÷ webhook", f, key{"Encode", encodingjson, "", targetBatch}, ours, unitNs, targetEncJSON)
		if a, ok := t.get(ours, unitAllocs); ok {
			t.row("encoder allocs/event", f, a, targetAllocs, a <= targetAllocs, "≤")
		}
	}
	fmt.Fprintln(t.w)
	if len(t.miss) > 0 {
		fmt.Fprintf(t.w, "Missed: %s.\n\n", strings.Join(t.miss, "; "))
	}
}

func (t *tables) check(what, format string, base, ours key, unit string, goal float64) {
	b, ok1 := t.get(base, unit)
	o, ok2 := t.get(ours, unit)
	if !ok1 || !ok2 || o == 0 {
		return
	}
	t.row(what, format, b/o, goal, b/o >= goal, "≥")
}

func (t *tables) row(what, format string, got, goal float64, ok bool, rel string) {
	verdict := "met"
	if !ok {
		verdict = "**missed**"
		t.miss = append(t.miss, what+" ("+format+")")
	}
	fmt.Fprintf(t.w, "| %s | %s | %.2f | %s %.2f | %s |\n", what, format, got, rel, goal, verdict)
}

// all lists every benchmark with its medians.
func (t *tables) all() {
	keys := make([]key, 0, len(t.rs))
	for k := range t.rs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.group != b.group {
			return a.group > b.group // Push, MapEncode, Encode
		}
		if a.format != b.format {
			return a.format < b.format
		}
		if a.impl != b.impl {
			return a.impl > b.impl
		}
		return a.batch < b.batch
	})
	fmt.Fprintln(t.w, "### Every benchmark (medians)")
	fmt.Fprintln(t.w)
	fmt.Fprintln(t.w, "| benchmark | events/s | ns/event | CPU ns/event | allocs/event | B/event | wire B/event | runs |")
	fmt.Fprintln(t.w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, k := range keys {
		name := k.group + "/" + k.impl
		if k.format != "" {
			name += "/" + k.format
		}
		name += fmt.Sprintf("/batch=%d", k.batch)
		fmt.Fprintf(t.w, "| %s | %s | %s | %s | %s | %s | %s | %d |\n", name,
			t.num(k, unitEventsPerSe), t.num(k, unitNs), t.num(k, unitCPU), t.num(k, unitAllocs),
			t.num(k, unitBytes), t.num(k, unitWire), len(t.rs[k]["ns/op"]))
	}
}

func (t *tables) num(k key, unit string) string {
	v, ok := t.get(k, unit)
	if !ok {
		return "–"
	}
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 0.1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

func (t *tables) ratio(base, ours key, unit string) string {
	b, ok1 := t.get(base, unit)
	o, ok2 := t.get(ours, unit)
	if !ok1 || !ok2 || o == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2fx", b/o)
}
