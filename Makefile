# Every target installs what it needs first, so a fresh clone needs only `make demo` / `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck unit soak browser bench bench-quality bench-spark bench-service eval demo dedup serve clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench,spark]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy dedup service

# Debian's Chromium for the report's browser tests: installed when missing and we are root
# (CI is); elsewhere those tests skip, saying so.
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium is missing: the report's browser tests will be skipped (apt-get install -y chromium)"; fi; }

unit: $(STAMP) browser
	$(BIN)/pytest -q

test: lint typecheck unit

# The long reliability tier: 50 SIGKILL trials of the service, 32 clients for 60 s, 5x the
# fuzzed bodies under the same memory bound.
soak: $(STAMP)
	DEDUP_SOAK=1 $(BIN)/pytest -q tests/test_reliability_crash.py tests/test_reliability_load.py \
	  tests/test_reliability_fuzz.py

# Speed: each prints its figures next to a baseline measured in the same run (minutes each).
bench: $(STAMP)
	$(BIN)/python -m benchmarks.fingerprint
	$(BIN)/python -m benchmarks.index_bench
	$(BIN)/python -m benchmarks.bulk_bench

# Quality: boilerplate removal and text reuse against baselines on seeded corpora.
bench-quality: $(STAMP)
	$(BIN)/python -m benchmarks.boilerplate_bench
	$(BIN)/python -m benchmarks.reuse_bench

# POST check+insert load at 1, 8 and 16 clients on loopback, against direct library calls;
# the readers' reuse lookups through the runs' directories, against a binary search of each run;
# find_rare gathering each run's pairs in one kernel, against the numpy calls it replaced;
# a start-up build of the indexes, each run sorted once, against the merges it replaced;
# the refresh of early posts, against the writer's whole part of the same posts.
bench-service: $(STAMP)
	$(BIN)/python -m benchmarks.service_load --mixed 60
	$(BIN)/python -m benchmarks.reuse_lookup
	$(BIN)/python -m benchmarks.postings_lookup
	$(BIN)/python -m benchmarks.postings_build
	$(BIN)/python -m benchmarks.crossing
	$(BIN)/python -m benchmarks.prepare_batches
	$(BIN)/python -m benchmarks.refresh_share

bench-spark: $(STAMP)
	$(BIN)/python -m benchmarks.spark_bench --docs 20000

# Our clustering and boilerplate scores on the shipped labelled sample, next to datasketch's.
eval: $(STAMP)
	$(BIN)/python -m benchmarks.eval_compare

DEMO_OUT ?= out/demo
demo: $(STAMP)
	$(BIN)/dedup bulk examples/sample_dump.txt --out $(DEMO_OUT) --strip-boilerplate --passages --report

# make dedup INPUT="corpus.jsonl more.jsonl.gz" OUT=out/run [ARGS="--threshold 0.85"]
dedup: $(STAMP)
	@test -n "$(INPUT)" -a -n "$(OUT)" || { echo "usage: make dedup INPUT=... OUT=DIR [ARGS=...]"; exit 2; }
	$(BIN)/dedup bulk $(INPUT) --out $(OUT) $(ARGS)

# make serve DB=out/articles.db [ARGS="--port 9000"]  (fill DB with `dedup bulk ... --db`)
DB ?= out/articles.db
serve: $(STAMP)
	$(BIN)/dedup serve --db $(DB) $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .benchmarks
