# The two commands of README.md: `make run` (the quickstart) and `make test`
# (everything CI runs, see .ci/run). `make` alone lists every target.
SHELL := /bin/bash
GO ?= go
.DEFAULT_GOAL := help

# Every go command here builds as ocb does by default, cgo off and paths
# trimmed (docs/build.md's snippet test builds a collector with ocb): the
# packages compiled once serve vet, staticcheck, the distribution, the tests
# and that build alike, where other settings would compile a collector's
# packages once more. The race detector needs cgo: RACE turns it back on.
export CGO_ENABLED := 0
export GOFLAGS := -trimpath $(GOFLAGS)
RACE := env CGO_ENABLED=1 $(GO)

# Pinned; run through go run so nothing is installed globally.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

# ocb, pinned to the collector release that every module in go.mod and
# builder-config.yaml uses.
OCB_VERSION := v0.165.0
BUILDER := bin/builder
# The stamp names the installed version, so changing OCB_VERSION reinstalls.
BUILDER_STAMP := bin/.builder-$(OCB_VERSION)

DIST := _build/otelcol-webhook
# How long the first `make dist` took, measured cold (see bench/RESULTS.md).
FIRST_BUILD := about 5 minutes
RECEIVER := bin/webhookreceiver
# Where `make run`'s receiver listens; the quickstart's exporter posts there.
RECEIVER_LISTEN ?= 127.0.0.1:8088

# The distribution is rebuilt when any Go source it may compile changes.
GO_SOURCES := $(shell find . -path ./_build -prune -o -path ./bin -prune -o -name '*.go' ! -name '*_test.go' -print)

# Extra flags for go test, e.g. make test GOTESTFLAGS=-v
GOTESTFLAGS ?=

# Each phase of make test and make run says what it does, then how long it took.
PHASE := bash internal/tools/phase.sh

.PHONY: help run test dist vet lint generated clean soak fuzz bench load $(RECEIVER)

# make soak: the fault-injection soak with SOAK_DURATION of streaming per
# case (make test runs a short one). make fuzz: every fuzz target for
# FUZZTIME (make test runs the committed corpora).
SOAK_DURATION ?= 3m
FUZZTIME ?= 30s

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BUILDER_STAMP):
	@mkdir -p bin
	@$(PHASE) "installing ocb $(OCB_VERSION) into bin/ (the first time, go downloads and compiles it)" \
		env GOBIN=$(CURDIR)/bin $(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)
	@rm -f bin/.builder-*
	@touch $@

$(BUILDER): $(BUILDER_STAMP)

dist: $(DIST) ## Build the collector distribution (ocb) into _build/

# VCS stamping is off: ocb builds inside this checkout, and a checkout owned
# by another user would otherwise fail the build. The binary is static, as
# ocb's own are. ocb writes the sources and resolves the modules; go build -v
# then compiles them, and the count of packages it prints is the progress of
# a build that is silent otherwise.
$(DIST): builder-config.yaml go.mod go.sum $(GO_SOURCES) $(BUILDER_STAMP)
	@echo "Building the collector distribution with ocb: the first build compiles a whole collector"
	@echo "($(FIRST_BUILD) on a 2-core machine with an empty Go cache); later builds take seconds."
	@$(PHASE) "ocb writes the distribution's sources into _build and resolves its modules (no compiling yet)" \
		$(BUILDER) --config=builder-config.yaml --skip-compilation
	@$(PHASE) "compiling the distribution into $(DIST)" bash -c 'set -o pipefail; cd $(dir $(DIST)) && \
		GOFLAGS="$(GOFLAGS) -buildvcs=false" $(GO) build -v -ldflags="-s -w" -o $(notdir $(DIST)) . 2>&1 | \
		awk "/\\.go:[0-9]|^#|^go: / {print; next} {n++; if (n % 100 == 0) printf \"  compiled %d packages...\\n\", n; fflush()}"'
	@# go build leaves an up-to-date binary untouched; make compares times.
	@touch $@

# Phony: go build is fast when nothing changed.
$(RECEIVER):
	@$(PHASE) "building the quickstart's receiver into $@" $(GO) build -o $@ ./cmd/webhookreceiver

# The receiver prints every request; the collector tails
# examples/events.jsonl and takes OTLP/HTTP on localhost:4318. Ctrl-C stops
# both, and so does either of them exiting (e.g. a port in use).
run: $(DIST) $(RECEIVER) ## The quickstart: a receiver that prints what it gets, and the collector sending to it
	@trap 'kill $$receiver $$collector 2>/dev/null; wait; exit 0' INT TERM; \
	$(RECEIVER) -listen $(RECEIVER_LISTEN) & receiver=$$!; \
	WEBHOOK_ENDPOINT=http://$(RECEIVER_LISTEN)/events $(DIST) --config=examples/quickstart.yaml & collector=$$!; \
	wait -n; status=$$?; \
	kill $$receiver $$collector 2>/dev/null; wait; exit $$status

# Every Go file of the project, ocb's output and tools left out.
FMT_SOURCES := $(shell find . -path ./_build -prune -o -path ./bin -prune -o -name '*.go' -print)

# The e2e tag takes in the end-to-end tests (e2e/), which build the
# distribution: go test ./... alone leaves them out, every check covers them.
E2E_TAGS := -tags e2e

# bench/ is a module of its own, so the component's go.mod lists only what a
# user's build needs (the otlphttpexporter baseline stays out of it); every
# target that covers the root module covers bench/ too.
vet: ## go vet and gofmt
	$(GO) vet $(E2E_TAGS) ./...
	$(GO) -C bench vet ./...
	@unformatted=$$("$$($(GO) env GOROOT)/bin/gofmt" -l $(FMT_SOURCES)); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change these files; run gofmt -w on them:"; echo "$$unformatted"; exit 1; fi

# dist before go test so the end-to-end tests (e2e/) find the distribution
# built; they also run `make dist` themselves when used alone. The tests
# that use raceflag run again without the race detector, which allocates
# beside the code: those that bound allocation check it there
# (internal/tools/racefree.sh names them), in the packages that have some.
# The JSON writer runs once more with the purego tag: the Go string writer
# that other architectures use instead of the amd64 assembly. Its tests
# compare the two on every byte at every position, so the packages above
# it need no purego run of their own.
RACEFREE_DIRS = $(shell grep -rl --include='*_test.go' 'raceflag\.[A-Z]' . | grep -v '^./_build/\|^./bench/' | xargs -n1 dirname | sort -u)

# go test runs a package's tests in one of its -p slots, which otherwise
# compile or link (-p is the core count by default). The end-to-end and the
# root package's tests spend most of their run waiting on collectors and
# servers, so with twice the cores' slots the compiler is not left waiting
# on them when the cache is cold.
TEST_SLOTS ?= $(shell echo $$(( 2 * $$(getconf _NPROCESSORS_ONLN) )))
# Within a package, go test runs as many parallel tests at once as there are
# cores. The parallel ones mostly wait on collectors, servers and client
# timeouts (the tests that measure memory stay sequential), so more of them
# overlap.
TEST_PARALLEL ?= $(shell echo $$(( 4 * $$(getconf _NPROCESSORS_ONLN) )))

lint: ## staticcheck (pinned), on every package
	$(GO) run $(STATICCHECK) $(E2E_TAGS) ./...
	$(GO) -C bench run $(STATICCHECK) ./...

test: ## Everything CI runs: vet, lint, generated files, the distribution, every test
	@$(PHASE) "go vet and gofmt, every package" $(MAKE) --no-print-directory vet
	@$(PHASE) "staticcheck (pinned), every package; the first run compiles it" $(MAKE) --no-print-directory lint
	@$(PHASE) "mdatagen's files against metadata.yaml" $(MAKE) --no-print-directory generated
	@$(PHASE) "the collector distribution, for the end-to-end tests" $(MAKE) --no-print-directory dist
	@$(PHASE) "every package's tests with the race detector, the end-to-end ones (real collectors) among them" $(RACE) test -race -p $(TEST_SLOTS) -parallel $(TEST_PARALLEL) -timeout 20m $(E2E_TAGS) $(GOTESTFLAGS) ./...
	@$(PHASE) "the bench module's tests (load generator, tables)" $(RACE) -C bench test -race $(GOTESTFLAGS) ./...
	@$(PHASE) "the allocation bounds, without the race detector" \
		bash -c 'set -e; run=$$(bash internal/tools/racefree.sh $(RACEFREE_DIRS)); $(GO) test $(GOTESTFLAGS) -run "$$run" $(RACEFREE_DIRS)'
	@$(PHASE) "the JSON writer with the pure-Go string writer (purego)" $(GO) test -tags purego $(GOTESTFLAGS) ./formats/internal/jsonw

# mdatagen (pinned in internal/tools/go.mod) writes internal/metadata,
# documentation.md and the generated tests from metadata.yaml: go generate
# ./... runs it, and make generated checks in a copy of the tree that the
# committed files are what it writes.
generated: ## Check that mdatagen's files are up to date with metadata.yaml
	bash internal/tools/mdatagen.sh -check

soak: $(DIST) ## The fault-injection soak, SOAK_DURATION per case
	SOAK_DURATION=$(SOAK_DURATION) $(GO) test $(E2E_TAGS) -count=1 -v -timeout 2h -run '^TestSoak' . ./e2e

# go test fuzzes one target per run. New inputs are minimised for at most
# 1000 runs, or minimising would eat the whole FUZZTIME.
fuzz: ## Every fuzz target for FUZZTIME
	@set -e; for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1000x $$pkg; \
		done; \
	done

# make bench: every benchmark with its baselines (otlphttpexporter,
# encoding/json, the raw wire) in one run, then the tables of bench/RESULTS.md.
# make load: the distribution under a bounded load on loopback, LOAD_EVENTS
# events per pipeline and round (OTLP/HTTP and a JSONL file through filelog,
# each format and the nop baseline), at most LOAD_TIMEOUT in all; LOAD_FLAGS
# passes loadgen's other flags (e.g. -formats json,elastic, -modes file,
# -rounds 5, -shared, -variants for filelog's settings).
BENCH_COUNT ?= 3
BENCH_TIME ?= 1s
BENCH_OUT ?= _build/bench.txt
LOAD_EVENTS ?= 500000
LOAD_TIMEOUT ?= 25m
LOAD_FLAGS ?=

bench: ## Every benchmark with its baselines, then the tables of bench/RESULTS.md
	@mkdir -p $(dir $(BENCH_OUT))
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) -benchtime $(BENCH_TIME) -timeout 60m . ./internal/hecack | tee $(BENCH_OUT)
	$(GO) -C bench test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) -benchtime $(BENCH_TIME) -timeout 60m . | tee -a $(BENCH_OUT)
	$(GO) -C bench run ./cmd/benchtable < $(BENCH_OUT)

load: $(DIST) ## The distribution under load, each format and input against a nop baseline
	$(GO) -C bench run ./cmd/loadgen -collector $(CURDIR)/$(DIST) -events $(LOAD_EVENTS) -timeout $(LOAD_TIMEOUT) $(LOAD_FLAGS)

clean: ## Remove _build and bin
	rm -rf _build bin
