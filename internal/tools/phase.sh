#!/usr/bin/env bash
# phase.sh WHAT COMMAND...: runs COMMAND between a line that says what it
# does and a line that says how long it took, so that each phase of
# `make test` and `make run` names its wait, cold caches included.
set -uo pipefail
what=$1
shift
echo "== $what"
start=$SECONDS
"$@"
status=$?
if ((status)); then
	echo "== $what: failed after $((SECONDS - start)) s (exit $status)"
else
	echo "== $what: done in $((SECONDS - start)) s"
fi
exit $status
