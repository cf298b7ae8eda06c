# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Debian packages the tests use: a browser for the report/UI checks, OpenSSH for real SFTP.
SYSTEM_PACKAGES := chromium chromium-driver openssh-server

.PHONY: install system-deps demo test lint dagster-dev clean bench bench-full chaos chaos-load

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing (the tests that need them will skip)"; fi; \
	fi

demo: install
	$(BIN)/hub demo

test: install system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Benchmarks (bench/): hub against dlt on SQLite and PostgreSQL, and the EDI 850 path. Results: bench/results/.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.sync --n 100000 --engine sqlite --repeat 2
	$(BIN)/python -m bench.sync --n 100000 --engine postgresql --repeat 2
	$(BIN)/python bench/edi_850.py

bench-full: bench
	$(BIN)/python -m bench.sync --n 1000000 --engine sqlite --repeat 2
	$(BIN)/python -m bench.sync --n 1000000 --engine postgresql --repeat 2

# Reliability (tests/chaos, tests/fuzz): one runner, one summary table (bench/results/chaos_summary.json):
# SIGKILL at 20 points, a 600-order burst, the fuzzers with 10x their examples, 10 rounds of every flow at
# 30% faults. `make chaos-load` is the full burst of 5,000 orders in 10 minutes.
chaos: install system-deps
	$(BIN)/python -m tests.chaos.all

chaos-load: install system-deps
	$(BIN)/python -m tests.chaos.load --orders 5000 --seconds 600

dagster-dev: install
	mkdir -p var/dagster
	DAGSTER_HOME=$(CURDIR)/var/dagster $(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf var .pytest_cache
