package main

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeQuotesResults: every figure of bench/README.md's Summary table
// is the figure of bench/RESULTS.md it names (the push and encoder tables
// of its make bench run at 1000-event batches, the OTLP/HTTP share of its
// make load run), rounded as the README shows it.
func TestReadmeQuotesResults(t *testing.T) {
	readme := markdownTables(t, "../../README.md")
	results := markdownTables(t, "../../RESULTS.md")

	perf := findTable(t, readme, "encoder ns/event", "end to end, CPU s per 1M")
	push := findTable(t, results, "events/s", "otlphttp CPU ns/event", "**otlphttp ÷ webhook** (CPU)")
	enc := findTable(t, results, "encoding/json ns/event", "**encoding/json ÷ webhook** (time)")
	load := findTable(t, results, "the exporter's share, CPU s per 1M (min-max)")

	require.NotEmpty(t, perf.rows)
	for _, row := range perf.rows {
		// "elastic `_bulk`" is elastic; "datadog, custom (...)" holds two formats.
		label, _, _ := strings.Cut(row["format"], " (")
		for i, f := range strings.Split(label, ", ") {
			f, _, _ = strings.Cut(f, " ")
			pick := func(col string) string {
				vals := strings.Split(row[col], ", ")
				if i < len(vals) {
					return vals[i]
				}
				return ""
			}
			e := enc.find(map[string]string{"format": f, "batch": "1000"})
			p := push.find(map[string]string{"format": f, "batch": "1000"})
			require.NotNil(t, e, "RESULTS.md has no encoder row for %s", f)
			require.NotNil(t, p, "RESULTS.md has no push row for %s", f)
			sameFigure(t, f+" encoder ns/event", pick("encoder ns/event"), e["ns/event"])
			sameFigure(t, f+" encoding/json ÷ encoder", pick("`encoding/json` ÷ encoder"), e["**encoding/json ÷ webhook** (time)"])
			sameFigure(t, f+" push CPU ns/event", pick("push CPU ns/event"), p["CPU ns/event"])
			sameFigure(t, f+" otlphttp ÷ push", pick("`otlphttp` ÷ push (CPU)"), p["**otlphttp ÷ webhook** (CPU)"])
			if quoted := pick("end to end, CPU s per 1M"); quoted != "" {
				l := load.find(map[string]string{"input": "OTLP/HTTP", "exporter": "webhook " + f})
				require.NotNil(t, l, "RESULTS.md has no make load row for %s", f)
				share, _, _ := strings.Cut(l["the exporter's share, CPU s per 1M (min-max)"], " ")
				sameFigure(t, f+" end to end", quoted, share)
			}
		}
	}
}

// sameFigure: the README's figure, where it gives one, is the result's,
// rounded to the README's decimals ("1,284" for 1284, "2.5x" for 2.49x).
func sameFigure(t *testing.T, what, quoted, result string) {
	t.Helper()
	if quoted == "" {
		return
	}
	q, err1 := strconv.ParseFloat(strings.NewReplacer(",", "", "x", "").Replace(quoted), 64)
	r, err2 := strconv.ParseFloat(strings.TrimSuffix(result, "x"), 64)
	if !assert.NoError(t, err1, what) || !assert.NoError(t, err2, what) {
		return
	}
	decimals := 0
	if _, frac, ok := strings.Cut(strings.TrimSuffix(quoted, "x"), "."); ok {
		decimals = len(frac)
	}
	half := 0.5
	for range decimals {
		half /= 10
	}
	assert.LessOrEqual(t, abs(q-r), half+1e-9, "%s: README says %s, RESULTS.md %s", what, quoted, result)
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

type mdTable struct {
	columns []string
	rows    []map[string]string
}

// find returns the first row whose cells equal want.
func (tb mdTable) find(want map[string]string) map[string]string {
	for _, r := range tb.rows {
		ok := true
		for k, v := range want {
			ok = ok && r[k] == v
		}
		if ok {
			return r
		}
	}
	return nil
}

func findTable(t *testing.T, tables []mdTable, columns ...string) mdTable {
	t.Helper()
	var found []mdTable
	for _, tb := range tables {
		has := true
		for _, c := range columns {
			has = has && contains(tb.columns, c)
		}
		if has {
			found = append(found, tb)
		}
	}
	require.Equal(t, 1, len(found), "one table with the columns %q", columns)
	return found[0]
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// markdownTables reads the pipe tables of a Markdown file.
func markdownTables(t *testing.T, path string) []mdTable {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []mdTable
	var cur *mdTable
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			cur = nil
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch {
		case cur == nil:
			out = append(out, mdTable{columns: cells})
			cur = &out[len(out)-1]
		case strings.HasPrefix(cells[0], "---"):
		default:
			row := map[string]string{}
			for i, c := range cells {
				if i < len(cur.columns) {
					row[cur.columns[i]] = c
				}
			}
			cur.rows = append(cur.rows, row)
		}
	}
	return out
}
