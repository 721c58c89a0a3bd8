package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// summary is one pipeline's rounds: medians, and its share (the rounds'
// differences from their reference) as a median and a range.
type summary struct {
	cpu, rate, rssMiB    float64
	share, lo, hi        float64
	shares               []float64
	requests, wireBytes  float64 // medians, for the bytes per event on the wire
	refused              int64
	hasShare, hasResults bool
}

// summarize takes a pipeline's rounds and its reference's (nil for a
// reference itself). A round's share is that round's difference: the two
// ran minutes apart at most, while rounds drift by more than a share.
func summarize(runs, refs []*result) summary {
	var s summary
	if len(runs) == 0 {
		return s
	}
	s.hasResults = true
	var cpu, rate, rss, reqs, wire []float64
	for _, r := range runs {
		cpu = append(cpu, r.cpuPerMillion())
		rate = append(rate, r.eventsPerSecond())
		rss = append(rss, float64(r.maxRSSKiB)/1024)
		reqs = append(reqs, float64(r.requests)/float64(r.events))
		wire = append(wire, float64(r.bytes)/float64(r.events))
		s.refused += r.refused
	}
	s.cpu, s.rate, s.rssMiB = median(cpu), median(rate), median(rss)
	s.requests, s.wireBytes = median(reqs), median(wire)
	if refs != nil {
		for i := range min(len(runs), len(refs)) {
			s.shares = append(s.shares, runs[i].cpuPerMillion()-refs[i].cpuPerMillion())
		}
	}
	if len(s.shares) > 0 {
		s.hasShare = true
		s.share, s.lo, s.hi = median(s.shares), slices.Min(s.shares), slices.Max(s.shares)
	}
	return s
}

func median(xs []float64) float64 {
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	if n := len(sorted); n%2 == 0 {
		return (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return sorted[len(sorted)/2]
}

var inputNames = map[string]string{
	"otlp": "OTLP/HTTP",
	"file": "JSONL file (filelog)",
}

// printTable prints the formats' table, one row per mode and exporter:
// the nop rows are the baselines the shares are taken from.
func printTable(w io.Writer, o options, jobs []job, results map[string][]*result) {
	fmt.Fprintf(w, "make load: %d events per pipeline and round (OTLP: protobuf requests of %d, %d senders, at most %d events in flight; file: one JSONL file read by filelog), num_consumers %d, %d rounds, medians; share = the pipeline minus the nop exporter in the same round, median (min-max) of the rounds\n\n",
		o.events, o.batch, o.senders, o.window, o.consumers, o.rounds)
	fmt.Fprintln(w, "| input | exporter | collector CPU s per 1M events | the exporter's share, CPU s per 1M (min-max) | events/s | peak RSS MiB | requests per 1k events | wire B/event |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|")
	for _, j := range jobs {
		var refs []*result
		if j.exporter != nop {
			refs = results[job{mode: j.mode, exporter: nop, variant: j.variant}.String()]
		}
		s := summarize(results[j.String()], refs)
		printRow(w, inputNames[j.mode], exporterName(j.exporter), s)
	}
}

func exporterName(e string) string {
	if e == nop {
		return "nop (baseline)"
	}
	return "webhook " + e
}

func printRow(w io.Writer, first, second string, s summary) {
	if !s.hasResults {
		fmt.Fprintf(w, "| %s | %s | failed | | | | | |\n", first, second)
		return
	}
	share := "—"
	if s.hasShare {
		share = fmt.Sprintf("%.2f (%.2f to %.2f)", s.share, s.lo, s.hi)
	}
	wire, reqs := "—", "—"
	if s.wireBytes > 0 {
		wire, reqs = fmt.Sprintf("%.0f", s.wireBytes), fmt.Sprintf("%.2f", 1000*s.requests)
	}
	fmt.Fprintf(w, "| %s | %s | %.2f | %s | %.0f | %.0f | %s | %s |\n", first, second, s.cpu, share, s.rate, s.rssMiB, reqs, wire)
}

// printVariants prints the receiver variants against the first (the
// reference, nop exporter, same round), then the exporter rows against it.
func printVariants(w io.Writer, o options, jobs []job, results map[string][]*result, failed map[string]error) {
	fmt.Fprintf(w, "make load -variants: %d events as a JSONL file per collector and round, %d rounds, medians; difference = the row minus the first row in the same round, median (min-max) of the rounds\n\n",
		o.events, o.rounds)
	fmt.Fprintln(w, "| filelog settings | exporter | collector CPU s per 1M events | minus the first row, CPU s per 1M (min-max) | events/s | peak RSS MiB | requests per 1k events | wire B/event |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|")
	ref := results[jobs[0].String()]
	for i, j := range jobs {
		var refs []*result
		if i > 0 {
			refs = ref
		}
		printRow(w, j.variant.name, exporterName(j.exporter), summarize(results[j.String()], refs))
	}
	for _, j := range jobs {
		if err := failed[j.String()]; err != nil {
			fmt.Fprintf(w, "\nfailed: %s: %s\n", j.variant.name, firstLine(err.Error()))
		}
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// fileName is s with anything but letters, digits and dashes made a dash.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, s)
}
