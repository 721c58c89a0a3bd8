// Command benchtable reads `go test -bench` output of the bench and root
// packages on stdin and prints the table of `make bench`: the webhook
// exporter next to its baselines, each baseline as a ratio to it, and the
// targets of issue 7 with the measured values. With -count > 1 every
// figure is the median of the runs.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

func main() {
	results, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if len(results) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark results on stdin")
		os.Exit(1)
	}
	write(os.Stdout, results)
}

// key names one benchmark: BenchmarkPush/webhook/json/batch=1000 is
// {Push, webhook, json, 1000}; baselines without a format have none.
type key struct {
	group, impl, format string
	batch               int
}

// result holds every run's metrics of one benchmark, by unit.
type result map[string][]float64

func (r result) median(unit string) (float64, bool) {
	v := append([]float64(nil), r[unit]...)
	if len(v) == 0 {
		return 0, false
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

func parse(r io.Reader) (map[key]result, error) {
	out := map[key]result{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		k, ok := parseName(fields[0])
		if !ok {
			continue
		}
		if out[k] == nil {
			out[k] = result{}
		}
		// fields[1] is the iteration count; then value unit pairs.
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a number", fields[0], fields[i])
			}
			out[k][fields[i+1]] = append(out[k][fields[i+1]], v)
		}
	}
	return out, sc.Err()
}

func parseName(name string) (key, bool) {
	// Drop the -GOMAXPROCS suffix.
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	parts := strings.Split(strings.TrimPrefix(name, "Benchmark"), "/")
	if len(parts) < 3 || !strings.HasPrefix(parts[len(parts)-1], "batch=") {
		return key{}, false
	}
	batch, err := strconv.Atoi(strings.TrimPrefix(parts[len(parts)-1], "batch="))
	if err != nil {
		return key{}, false
	}
	k := key{group: parts[0], impl: parts[1], batch: batch}
	if len(parts) == 4 {
		k.format = parts[2]
	}
	return k, true
}
