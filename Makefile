# RouteLedger — build, demo, test and benchmark entry points.
# `make demo` and `make test` are the whole quick start; .ci/run calls `make test`.

SWIFT       ?= swift
APT_PACKAGES = libarchive-dev libsqlite3-dev zlib1g-dev libdeflate-dev libssl-dev libcurl4 openssl zstd zip unzip sqlite3 chromium
DEMO_DIR     = demo
DEMO_DB      = $(DEMO_DIR)/routeledger.sqlite
BIN          = .build/debug/routeledger

.PHONY: deps build demo examples test fuzz fuzz-smoke bench-ingest bench-report bench-replay replay-table clean

## deps: install missing system libraries (apt-get when root; otherwise print the exact command).
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing system packages. Run:"; echo "  sudo apt-get update && sudo apt-get install -y$$missing"; exit 2; \
	  fi; \
	fi

build: deps
	$(SWIFT) build --product routeledger

## demo: synthesize a corpus in the real S3 layouts (+ labelled router prompts), ingest it, write the report of its
##       last day with a routing-replay section, and print the replay of router x4m1yq0dx0kq.
demo: build
	rm -rf $(DEMO_DIR)
	$(BIN) synth --records 20000 --seed 42 --days 3 --out $(DEMO_DIR)/logs --corrupt-rate 0.002 \
		--summary-file $(DEMO_DIR)/synth-summary.json --labels $(DEMO_DIR)/pairs.csv
	$(BIN) ingest $(DEMO_DIR)/logs --db $(DEMO_DB) --jobs 2 --keep-bodies
	$(BIN) report --db $(DEMO_DB) --config fixtures/routeledger-demo.yaml --day 2026-11-03 --out $(DEMO_DIR)/reports
	$(BIN) replay --db $(DEMO_DB) --labels $(DEMO_DIR)/pairs.csv --router x4m1yq0dx0kq --target quality=0.95

## test: every unit, integration and kill-safety test (builds the binary the CLI tests run).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	bench/fuzz.sh --smoke

## fuzz: libFuzzer + ASan build (.build-fuzz) of every fuzz-* target, each run FUZZ_SECONDS (60) seconds from
##       the seeds in fixtures/fuzz/; new corpus in .build-fuzz/corpus, crashes in fuzz-artifacts/.
fuzz: deps
	bench/fuzz.sh

## fuzz-smoke: the same build, FUZZ_SMOKE_RUNS (3000) inputs per target incl. every fixtures/fuzz/regressions input.
fuzz-smoke: deps
	bench/fuzz.sh --smoke

## bench-ingest: release build; gzip -dc vs DuckDB vs routeledger ingest on >= 500 MB of NDJSON.
bench-ingest: deps
	$(SWIFT) build -c release --product routeledger
	bench/ingest.sh

## examples: refresh reports/examples/ from the demo corpus (the formats at a glance, committed).
examples: demo
	rm -rf reports/examples && mkdir -p reports/examples
	cp -R $(DEMO_DIR)/reports/2026-11-03 reports/examples/

## bench-report: release build; report metrics on a 10M-row synthetic ledger vs the same GROUP BYs in SQLite.
bench-report: deps
	$(SWIFT) build -c release --product routeledger
	bench/report.sh

## bench-replay: release build; threshold sweep over 10M scored requests vs a sort-and-scan baseline.
bench-replay: deps
	$(SWIFT) build -c release --product replay-bench
	$(SWIFT) build -c release --product routeledger
	bench/replay.sh

## replay-table: release build; routeledger replay on every ../shared/routing-data pairs file (the README table).
replay-table: deps
	$(SWIFT) build -c release --product routeledger
	python3 bench/replay_table.py

clean:
	rm -rf .build .build-fuzz $(DEMO_DIR) bench-data
