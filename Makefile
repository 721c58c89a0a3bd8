# The two commands of README.md: `make run` (the quickstart) and `make test`
# (everything CI runs, see .ci/run).
SHELL := /bin/bash
GO ?= go

# ocb, pinned to the collector release that every module in go.mod and
# builder-config.yaml uses.
OCB_VERSION := v0.165.0
BUILDER := bin/builder
# The stamp names the installed version, so changing OCB_VERSION reinstalls.
BUILDER_STAMP := bin/.builder-$(OCB_VERSION)

DIST := _build/otelcol-webhook
RECEIVER := bin/webhookreceiver
# Where `make run`'s receiver listens; the quickstart's exporter posts there.
RECEIVER_LISTEN ?= 127.0.0.1:8088

# The distribution is rebuilt when any Go source it may compile changes.
GO_SOURCES := $(shell find . -path ./_build -prune -o -path ./bin -prune -o -name '*.go' ! -name '*_test.go' -print)

# Extra flags for go test, e.g. make test GOTESTFLAGS=-v
GOTESTFLAGS ?=

.PHONY: run test dist vet clean soak fuzz bench bench-bounds load $(RECEIVER)

# make soak: the fault-injection soak with SOAK_DURATION of streaming per
# case (make test runs a short one). make fuzz: every fuzz target for
# FUZZTIME (make test runs the committed corpora).
SOAK_DURATION ?= 3m
FUZZTIME ?= 30s

$(BUILDER_STAMP):
	@mkdir -p bin
	GOBIN=$(CURDIR)/bin $(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)
	@rm -f bin/.builder-*
	@touch $@

$(BUILDER): $(BUILDER_STAMP)

dist: $(DIST)

# VCS stamping is off: ocb builds inside this checkout, and a checkout owned
# by another user would otherwise fail the build.
$(DIST): builder-config.yaml go.mod go.sum $(GO_SOURCES) $(BUILDER_STAMP)
	GOFLAGS="$(GOFLAGS) -buildvcs=false" $(BUILDER) --config=builder-config.yaml
	@# go build leaves an up-to-date binary untouched; make compares times.
	@touch $@

# Phony: go build is fast when nothing changed.
$(RECEIVER):
	$(GO) build -o $@ ./cmd/webhookreceiver

# The receiver prints every request; the collector tails
# examples/events.jsonl and takes OTLP/HTTP on localhost:4318. Ctrl-C stops
# both, and so does either of them exiting (e.g. a port in use).
run: $(DIST) $(RECEIVER)
	@trap 'kill $$receiver $$collector 2>/dev/null; wait; exit 0' INT TERM; \
	$(RECEIVER) -listen $(RECEIVER_LISTEN) & receiver=$$!; \
	WEBHOOK_ENDPOINT=http://$(RECEIVER_LISTEN)/events $(DIST) --config=examples/quickstart.yaml & collector=$$!; \
	wait -n; status=$$?; \
	kill $$receiver $$collector 2>/dev/null; wait; exit $$status

# Every Go file of the project, ocb's output and tools left out.
FMT_SOURCES := $(shell find . -path ./_build -prune -o -path ./bin -prune -o -name '*.go' -print)

vet:
	$(GO) vet ./...
	@unformatted=$$("$$($(GO) env GOROOT)/bin/gofmt" -l $(FMT_SOURCES)); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change these files; run gofmt -w on them:"; echo "$$unformatted"; exit 1; fi

# dist before go test so the end-to-end tests (e2e/) find the distribution
# built; they also run `make dist` themselves when used alone. formats runs
# once more with the purego tag: the Go string writer that other
# architectures use instead of the amd64 assembly.
test: vet
	$(MAKE) dist
	$(GO) test -race $(GOTESTFLAGS) ./...
	$(GO) test -tags purego $(GOTESTFLAGS) ./formats

soak: $(DIST)
	SOAK_DURATION=$(SOAK_DURATION) $(GO) test -count=1 -v -timeout 2h -run '^TestSoak' . ./e2e

# go test fuzzes one target per run. New inputs are minimised for at most
# 1000 runs, or minimising would eat the whole FUZZTIME.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1000x $$pkg; \
		done; \
	done

# make bench: every benchmark with its baselines (otlphttpexporter,
# encoding/json, the raw wire) in one run, then the table of README.md's
# Performance section. make load: the distribution under a bounded
# OTLP/HTTP load (LOAD_EVENTS events, at most LOAD_TIMEOUT), on loopback;
# LOAD_FLAGS passes loadgen's other flags (e.g. -shared, -format splunk_hec).
BENCH_COUNT ?= 3
BENCH_TIME ?= 1s
BENCH_OUT ?= _build/bench.txt
LOAD_EVENTS ?= 200000
LOAD_TIMEOUT ?= 3m
LOAD_FLAGS ?=

# make bench-bounds: the paired push benchmark on this code and on copies
# patched by bench/bounds/*.patch, BOUNDS_ROUNDS times in turns: how far
# the push path could still go (bench/bounds.sh says how).
BOUNDS_ROUNDS ?= 8

bench:
	@mkdir -p $(dir $(BENCH_OUT))
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) -benchtime $(BENCH_TIME) -timeout 60m . ./bench | tee $(BENCH_OUT)
	$(GO) run ./bench/cmd/benchtable < $(BENCH_OUT)

bench-bounds:
	GO=$(GO) BOUNDS_ROUNDS=$(BOUNDS_ROUNDS) bash bench/bounds.sh

load: $(DIST)
	$(GO) run ./bench/cmd/loadgen -collector $(DIST) -events $(LOAD_EVENTS) -timeout $(LOAD_TIMEOUT) $(LOAD_FLAGS)

clean:
	rm -rf _build bin
