# Every target installs what it needs first, so a fresh clone needs only `make demo` / `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck unit bench demo dedup clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

# service/ joins the type check once it holds code.
typecheck: $(STAMP)
	$(BIN)/mypy dedup $(wildcard service/*.py)

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python -m benchmarks.fingerprint

DEMO_OUT ?= out/demo
demo: $(STAMP)
	$(BIN)/dedup bulk examples/sample_dump.txt --out $(DEMO_OUT) --strip-boilerplate --passages

# make dedup INPUT="corpus.jsonl more.jsonl.gz" OUT=out/run [ARGS="--threshold 0.85"]
dedup: $(STAMP)
	@test -n "$(INPUT)" -a -n "$(OUT)" || { echo "usage: make dedup INPUT=... OUT=DIR [ARGS=...]"; exit 2; }
	$(BIN)/dedup bulk $(INPUT) --out $(OUT) $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .benchmarks
