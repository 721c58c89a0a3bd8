#!/usr/bin/env bash
# racefree.sh DIR...: prints a go test -run pattern naming the tests in DIR's
# test files that use internal/raceflag, directly or through a helper they
# call: those that bound allocation or run on one goroutine, and so are
# skipped or weakened under the race detector. make test runs them again
# without it, and only them, so the rest of a package does not run twice.
# A helper that no Test function calls by name is refused: the pattern could
# not name its tests.
set -euo pipefail
files=$(for d in "$@"; do ls "$d"/*_test.go; done)
names=$(awk '
	FNR == 1 { fn = ""; if (FILENAME == first) pass2 = 1; if (first == "") first = FILENAME }
	/^func / { fn = $2; sub(/\(.*/, "", fn) }
	!pass2 && /raceflag\.[A-Z]/ {
		if (fn ~ /^Test/) print fn
		else helper[fn] = FILENAME ":" FNR
	}
	pass2 && fn ~ /^Test/ { for (h in helper) if (index($0, h "(")) { print fn; called[h] = 1 } }
	END {
		for (h in helper) if (!called[h]) { printf "%s: raceflag used in %s, which no Test function calls\n", helper[h], h > "/dev/stderr"; bad = 1 }
		exit bad
	}
' $files $files | sort -u | paste -sd'|')
if [ -z "$names" ]; then
	echo "racefree.sh: no test in $* uses raceflag" >&2
	exit 1
fi
echo "^($names)\$"
