#!/usr/bin/env bash
# mdatagen, pinned in internal/tools/go.mod and run through `go run`, so
# nothing is installed. Not `go tool`: under make's GOFLAGS (-trimpath) its
# build reused none of the packages that vet had compiled.
#
#   mdatagen.sh [dir]   generates from dir/metadata.yaml (default: .);
#                       the //go:generate lines of factory.go and
#                       auth/factory.go run it.
#   mdatagen.sh -check  generates every component of the repository in a
#                       copy and fails when a generated file differs from
#                       the committed one (make test runs it).
#
# mdatagen names the Go package of what it generates after the directory,
# and a checkout may live in a directory of any name: it runs through a
# link to the repository named after its package.
set -euo pipefail
tools=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$tools/../.." && pwd)
components=(. auth receiver/securityevents)

generate() {
	local dir rel pkg link
	dir=$(cd "$1" && pwd)
	rel=${dir#"$root"}
	pkg=$(cd "$root" && go list -f '{{.Name}}' .)
	link=$(mktemp -d)
	ln -s "$root" "$link/$pkg"
	(cd "$dir" && go run -modfile="$tools/go.mod" go.opentelemetry.io/collector/cmd/mdatagen "$link/$pkg$rel/metadata.yaml") || { rm -rf "$link"; return 1; }
	rm -rf "$link"
}

if [[ "${1:-}" != -check ]]; then
	generate "${1:-.}"
	exit
fi

copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
tar -C "$root" --exclude=./.git --exclude=./_build --exclude=./bin -cf - . | tar -C "$copy" -xf -
for c in "${components[@]}"; do
	"$copy/internal/tools/mdatagen.sh" "$copy/$c"
done
if ! diff -r --exclude=.git --exclude=_build --exclude=bin "$root" "$copy"; then
	echo "generated files are out of date: run go generate ./... and commit the result" >&2
	exit 1
fi
