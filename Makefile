# Build, test and run the otelcol-retrain collector distribution.
#   make build     build _build/otelcol-retrain with ocb (installs the pinned ocb into ./bin)
#   make test      gofmt check, go vet, go test -race, build, validate every testdata/*.yaml, e2e
#   make e2e       build, then the black-box end-to-end tests of the binary (build tag e2e)
#   make run       build, then the demo (cmd/retrain-demo): the collector on testdata/demo.yaml,
#                  three serving apps and a trainer webhook; exits 0 once the expected jobs arrived
#   make bench     benchmarks of issue 5 (Go, end to end) and a table of medians against the
#                  targets; see BENCHMARKS.md. About 30 minutes; not part of `make test`
#   make profile   a bench-only build with the pprof extension, and CPU and allocation profiles of
#                  the collector with and without the processor under the same load (_build/profiles)
#   make lint      golangci-lint over every package, e2e included (installed into ./bin); not part of `make test`
#   make generate  regenerate the mdatagen code of every component from its metadata.yaml
#   make clean     remove _build/ and ./bin

GO      ?= go
GOFMT   ?= $(shell $(GO) env GOROOT)/bin/gofmt
BIN_DIR := $(CURDIR)/bin

OCB_VERSION := v0.165.0
OCB         := $(BIN_DIR)/builder
OCB_PKG     := go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)

GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT         := $(BIN_DIR)/golangci-lint
GOLANGCI_LINT_PKG     := github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

BUILDER_CONFIG := builder-config.yaml
DIST_DIR       := _build
COLLECTOR      := $(DIST_DIR)/otelcol-retrain
DEMO_CONFIG    := testdata/demo.yaml
# Every file directly under testdata/ with a .yaml extension is a collector config; keep other
# fixtures (inputs, golden files) in subdirectories.
COLLECTOR_CONFIGS := $(sort $(wildcard testdata/*.yaml))

GO_TEST_FLAGS ?= -race -timeout 10m

.PHONY: all build ocb test fmt-check vet unit-test validate e2e run lint golangci-lint generate clean bench build-bench profile

all: test

# The steps run in order in one recipe, so `make -j test` cannot interleave them.
test:
	@$(MAKE) --no-print-directory fmt-check
	@$(MAKE) --no-print-directory vet
	@$(MAKE) --no-print-directory unit-test
	@$(MAKE) --no-print-directory validate
	@$(MAKE) --no-print-directory e2e

fmt-check:
	@echo ">> gofmt check"
	@files=$$(find . \( -path ./_build -o -path ./internal/tools -o -path ./bin -o -path ./.git \) -prune \
		-o -name '*.go' -type f -exec $(GOFMT) -l {} +) || { echo "gofmt failed (syntax error?)"; exit 1; }; \
	if [ -n "$$files" ]; then \
		echo "These files are not gofmt-formatted (run: gofmt -w <file>):"; \
		echo "$$files" | sed 's/^/  /'; \
		exit 1; \
	fi

vet:
	@echo ">> go vet"
	$(GO) vet ./...

unit-test:
	@echo ">> go test"
	$(GO) test $(GO_TEST_FLAGS) ./...
	@echo ">> allocation tests without -race (the race detector changes sync.Pool)"
	$(GO) test -count=1 -run 'AllocatesNothing' ./...

# Reinstall ocb when it is missing or not the pinned version.
ocb:
	@if ! [ -x "$(OCB)" ] || ! "$(OCB)" version 2>&1 | grep -q '$(OCB_VERSION)'; then \
		echo ">> installing ocb $(OCB_VERSION) into $(BIN_DIR)"; \
		GOBIN="$(BIN_DIR)" $(GO) install $(OCB_PKG); \
	fi

build: ocb
	@echo ">> building $(COLLECTOR) with ocb"
	"$(OCB)" --config $(BUILDER_CONFIG)

validate: build
	@echo ">> validating collector configs: $(COLLECTOR_CONFIGS)"
	@test -n "$(COLLECTOR_CONFIGS)" || { echo "no collector configs under testdata/*.yaml"; exit 1; }
	@set -e; for f in $(COLLECTOR_CONFIGS); do \
		echo "   $$f"; \
		"./$(COLLECTOR)" validate --config "$$f"; \
	done

# The tests start ./$(COLLECTOR) as a subprocess; vet first, since `make vet` skips tagged files.
E2E_FLAGS ?= -race -count=1 -timeout 5m

e2e: build
	@echo ">> end-to-end tests of $(COLLECTOR)"
	$(GO) vet -tags e2e ./e2e/...
	E2E_COLLECTOR="$(CURDIR)/$(COLLECTOR)" E2E_OCB="$(OCB)" $(GO) test -tags e2e $(E2E_FLAGS) ./e2e/...

run: build
	$(GO) run ./cmd/retrain-demo -collector "./$(COLLECTOR)" -config $(DEMO_CONFIG)

# Benchmarks of issue 5: the Go benchmarks at -cpu=1 and the ingest-during-tick one again at -cpu=2,
# in $(BENCH_COUNT) rounds of -count=1 (a burst of other load then hits one sample of a benchmark,
# not all of them), benchstat, the end-to-end load against the built collector (cmd/loadgen), then
# medians against the targets (cmd/benchreport). Everything lands in $(BENCH_DIR).
BENCH_DIR      := $(DIST_DIR)/bench
BENCH_COUNT    ?= 5
BENCH_TIME     ?= 1s
BENCH_PKGS     := ./retrainprocessor/ ./retrainprocessor/internal/quantile/ ./retrainprocessor/internal/observer/ ./retrainexporter/ \
	./modelpartitionerextension/ ./internal/kafkabench/
BENCH_GO_FLAGS := -run '^$$' -benchmem \
	-count=1 -benchtime=$(BENCH_TIME) -timeout 30m
BENCHSTAT      ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
LOADGEN_FLAGS  ?=

bench: build
	@mkdir -p $(BENCH_DIR)
	@rm -f $(BENCH_DIR)/go.txt $(BENCH_DIR)/go-cpu2.txt
	@for i in $$(seq $(BENCH_COUNT)); do \
		echo ">> go benchmarks, round $$i of $(BENCH_COUNT): -cpu=1 -> $(BENCH_DIR)/go.txt"; \
		{ $(GO) test $(BENCH_GO_FLAGS) -cpu=1 -bench . $(BENCH_PKGS); echo $$? > $(BENCH_DIR)/rc; } 2>&1 \
			| tee -a $(BENCH_DIR)/go.txt; test "$$(cat $(BENCH_DIR)/rc)" = 0 || exit 1; \
		echo ">> go benchmarks, round $$i of $(BENCH_COUNT): ingest during a tick, -cpu=2 -> $(BENCH_DIR)/go-cpu2.txt"; \
		{ $(GO) test $(BENCH_GO_FLAGS) -cpu=2 -bench '^BenchmarkIngestDuringTick$$' ./retrainprocessor/; \
			echo $$? > $(BENCH_DIR)/rc; } 2>&1 | tee -a $(BENCH_DIR)/go-cpu2.txt; test "$$(cat $(BENCH_DIR)/rc)" = 0 || exit 1; \
	done
	@echo ">> benchstat"
	@cat $(BENCH_DIR)/go.txt $(BENCH_DIR)/go-cpu2.txt > $(BENCH_DIR)/go-all.txt
	@$(BENCHSTAT) -confidence 0.9 $(BENCH_DIR)/go-all.txt || echo "benchstat unavailable; the table below has the medians"
	@echo ">> end to end against $(COLLECTOR) -> $(BENCH_DIR)/e2e.txt"
	@rm -f $(BENCH_DIR)/e2e.txt
	$(GO) run ./cmd/loadgen e2e -collector "./$(COLLECTOR)" -out $(BENCH_DIR)/e2e.txt -logs $(BENCH_DIR) $(LOADGEN_FLAGS)
	@echo ">> medians against the targets -> $(BENCH_DIR)/report.md"
	@$(GO) run ./cmd/benchreport $(BENCH_DIR)/go.txt $(BENCH_DIR)/go-cpu2.txt $(BENCH_DIR)/e2e.txt | tee $(BENCH_DIR)/report.md

# Installed with `go install` into ./bin rather than as a tool of internal/tools, so its large
# dependency graph never moves mdatagen's.
# A bench-only build with contrib's pprof extension, and CPU and allocation profiles of the
# collector with and without the processor under the same load (one pair of runs), for
# `go tool pprof -diff_base`. Not part of `make bench` or `make test`.
BENCH_BUILDER_CONFIG := testdata/bench/builder-config.yaml
BENCH_COLLECTOR      := $(DIST_DIR)/bench-dist/otelcol-retrain-bench
PROFILE_DIR          := $(DIST_DIR)/profiles
PROFILE_FLAGS        ?= -repeat 1 -rate 40000 -workers 4 -duration 35s -high-rate 0 -ramp-start 0

build-bench: ocb
	@echo ">> building $(BENCH_COLLECTOR) (with the pprof extension) with ocb"
	"$(OCB)" --config $(BENCH_BUILDER_CONFIG)

profile: build-bench
	$(GO) run ./cmd/loadgen e2e -collector "./$(BENCH_COLLECTOR)" -profile $(PROFILE_DIR) -logs $(PROFILE_DIR) $(PROFILE_FLAGS)
	@echo ">> profiles in $(PROFILE_DIR); compare with e.g."
	@echo "   go tool pprof -top -diff_base $(PROFILE_DIR)/without-retrain-fixed1.cpu.pprof $(PROFILE_DIR)/with-retrain-fixed1.cpu.pprof"

golangci-lint:
	@if ! [ -x "$(GOLANGCI_LINT)" ] || ! "$(GOLANGCI_LINT)" version 2>&1 | grep -q '$(patsubst v%,%,$(GOLANGCI_LINT_VERSION))'; then \
		echo ">> installing golangci-lint $(GOLANGCI_LINT_VERSION) into $(BIN_DIR)"; \
		GOBIN="$(BIN_DIR)" $(GO) install $(GOLANGCI_LINT_PKG) || { \
			echo "error: could not install golangci-lint $(GOLANGCI_LINT_VERSION) ($(GOLANGCI_LINT_PKG)); is the Go module proxy reachable?" >&2; \
			exit 1; }; \
	fi

lint: golangci-lint
	"$(GOLANGCI_LINT)" run --build-tags e2e ./...

generate:
	cd retrainprocessor && $(GO) tool -modfile=../internal/tools/go.mod mdatagen metadata.yaml
	cd retrainexporter && $(GO) tool -modfile=../internal/tools/go.mod mdatagen metadata.yaml
	cd modelpartitionerextension && $(GO) tool -modfile=../internal/tools/go.mod mdatagen metadata.yaml
	cd kafkastorageextension && $(GO) tool -modfile=../internal/tools/go.mod mdatagen metadata.yaml

clean:
	rm -rf $(DIST_DIR) $(BIN_DIR)
