#!/usr/bin/env bash
# make bench-bounds: how far the push path could still go. The paired push
# benchmark (BenchmarkPushPaired) runs on this code and on two patched
# copies of it, in turns, BOUNDS_ROUNDS times each, and prints the median,
# lowest and highest of each one's ratios to the baselines (otlphttp ÷
# webhook CPU, raw wire ÷ webhook time):
#
#   this code    the exporter as it is
#   identified   bench/bounds/identified.patch: the savings seen and not
#                taken, each at its most optimistic
#   required     bench/bounds/required.patch: those, and the work that the
#                design requires dropped as well
#
# Taking turns matters on a VM whose speed drifts: every variant catches
# the same phases. The copies live in a temporary directory; the patches
# are for measuring, never for use.
set -euo pipefail

rounds=${BOUNDS_ROUNDS:-8}
go=${GO:-go}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

variants=(this identified required)
echo "building the test binaries of this code and of the patched copies" >&2
(cd "$root" && "$go" test -c -o "$work/this.test" ./bench)
for v in identified required; do
	mkdir "$work/$v"
	(cd "$root" && git ls-files -z | xargs -0 cp --parents -t "$work/$v")
	(cd "$work/$v" && git apply "$root/bench/bounds/$v.patch" && "$go" test -c -o "$work/$v.test" ./bench)
done

cd "$root/bench"
for ((i = 1; i <= rounds; i++)); do
	echo "round $i of $rounds" >&2
	for v in "${variants[@]}"; do
		"$work/$v.test" -test.run '^$' -test.bench '^BenchmarkPushPaired$' -test.benchtime 20x |
			awk -v v="$v" '/^BenchmarkPushPaired/ {
				split($1, name, "/")
				for (f = 3; f < NF; f++) {
					if ($(f + 1) == "x-otlphttp-cpu") cpu = $f
					if ($(f + 1) == "x-rawwire-time") wire = $f
				}
				print v, name[3], cpu, wire
			}'
	done
done >"$work/ratios"

# median lowest highest of column c of variant v and format f
stats() {
	awk -v v="$1" -v f="$2" -v c="$3" '$1 == v && $2 == f { print $c }' "$work/ratios" | sort -g |
		awk '{ x[NR] = $1 } END {
			if (NR == 0) exit 1
			m = NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2
			printf "%5.2fx  %5.2fx  %5.2fx", m, x[1], x[NR]
		}'
}

echo
echo "1000-event batches, $rounds paired runs each: median, lowest, highest"
echo "  otlphttp ÷ webhook, CPU (target: at least 3x)"
echo "  raw wire ÷ webhook, time (target: at least 0.67x, within 1.5x of the raw wire)"
echo "                        otlphttp ÷ webhook CPU   raw wire ÷ webhook time"
echo "variant     format      median  lowest highest   median  lowest highest"
for v in "${variants[@]}"; do
	for f in json splunk_hec; do
		printf '%-11s %-11s %s   %s\n' "$v" "$f" "$(stats "$v" "$f" 3)" "$(stats "$v" "$f" 4)"
	done
done
