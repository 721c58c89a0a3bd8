// Package e2e holds the end-to-end tests of the otelcol-webhook
// distribution: they run the binary that ocb builds from
// builder-config.yaml (building it with `make dist` when it is missing or
// stale) against local HTTP servers, and validate every collector config
// in README.md and examples/ with it. The package has no code of its own.
// The tests build only with the e2e tag (`go test -tags e2e ./e2e`; make
// test sets it), so that `go test ./...` builds no collector.
package e2e
