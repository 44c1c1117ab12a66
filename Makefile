# Folio: `make run` serves the API on the embedded default, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON := $(shell scripts/find-python)
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Installed packages arrive compiled: where PYTHONDONTWRITEBYTECODE is set (as in this machine's environment),
# every process would otherwise compile SQLAlchemy, Litestar and the rest again (~6 s, not ~2.5 s).
export UV_COMPILE_BYTECODE := 1
SOURCES := domain application adapters entrypoints migrations tests bench

# Tests make their own databases; these are the servers they use.
export FOLIO_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
export FOLIO_TEST_VALKEY_URL ?= valkey://127.0.0.1:6379/0
PYTEST_WORKERS ?= 2

.PHONY: install bytecode test-packages run worker test test-fast lint fmt bench bench-catalog bench-checkout bench-import bench-mail clean

install: $(VENV)/.installed

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

# Our own modules too: each test worker and each server the tests start imports them (cheap when up to date).
bytecode: install
	$(BIN)/python -m compileall -q -j 0 $(SOURCES) >/dev/null

run: bytecode
	$(BIN)/folio db upgrade
	$(BIN)/folio serve

worker: bytecode
	$(BIN)/folio worker

# Debian packages the tests need, installed once and only when missing: PgBouncer for the fault tests (which
# start their own PostgreSQL 15, redis-server and PgBouncer), Chromium and its driver for tests/browser.
TEST_DEBS := pgbouncer chromium chromium-driver
test-packages:
	@missing=$$(for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

# loadgroup: the fault tests (one xdist group) share their private servers on one test worker
test: bytecode test-packages
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

test-fast: bytecode
	$(BIN)/pytest -n $(PYTEST_WORKERS) tests/unit

# Schemathesis alone (FOLIO_SCHEMA_EXAMPLES per operation, FOLIO_SCHEMA_SEED to replay a failure's seed).
.PHONY: test-schema
test-schema: bytecode
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m schemathesis tests/schema

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf .tools $(VENV) .pytest_cache .mypy_cache .ruff_cache

# commerce: checkouts per second on PostgreSQL, no contention and all on one book (bounded: BENCH_BUYERS)
bench-checkout: install
	$(BIN)/python -m bench.checkout
# load and faults: BENCH_BUYERS (default 500) buyers released at once on the last 50 copies,
# two API processes and a worker on the stock PostgreSQL; statuses, p50/p99, peak connections, no oversell
.PHONY: bench-burst
bench-burst: bytecode
	$(BIN)/python -m bench.burst
# --- identity ---
.PHONY: bench-login
# Login throughput on PostgreSQL against a real `folio serve` (argon2id at the configured cost).
bench-login: install
	$(BIN)/python -m bench.login --connections 32 --seconds 15
# CSV import: a worker importing 20k and 100k generated rows on PostgreSQL; rows/s and peak RSS.
bench-import: install
	$(BIN)/python -m bench.imports
# `folio books import` end to end: a one-row file (the fixed start-up cost) and 20k rows (BENCH_CLI_ROWS), wall and CPU.
.PHONY: bench-cli-import
bench-cli-import: install
	$(BIN)/python -m bench.cli_import
# Bring your library: a 20,000-row Goodreads export into a 100,000-book catalog; rows/s, statements per
# batch, worker and PostgreSQL CPU, peak RSS (BENCH_LIBRARY_ROWS, BENCH_LIBRARY_CATALOG, BENCH_PROFILE=1|tottime).
.PHONY: bench-library-import
bench-library-import: install
	$(BIN)/python -m bench.library_import
# Operations: granian against uvicorn on Folio's endpoints at 1, 2 and 4 workers (needs wrk, PostgreSQL, Valkey).
.PHONY: bench-servers
bench-servers: install
	$(BIN)/python -m bench.servers
# -- catalog ------------------------------------------------------------------------------------------
# HTTP load on the catalog (PostgreSQL, 20,000 and 100,000 books), CPU per request of Folio and PostgreSQL and
# a hello-world ceiling: BENCH_BOOKS=20000,100000 BENCH_WORKERS=1,2 BENCH_CACHE=on,off BENCH_SECONDS=5
BENCH_BOOKS ?= 20000,100000
BENCH_WORKERS ?= 1
BENCH_CACHE ?= on,off
BENCH_SECONDS ?= 5
bench-catalog: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.catalog --books $(BENCH_BOOKS) --workers $(BENCH_WORKERS) --cache $(BENCH_CACHE) --seconds $(BENCH_SECONDS)
# A realistic mix on a fresh database (dropped after): Zipf-drawn searches, filters, pages and details, 2 % writes
# (checkouts, reviews), cache on and off, beside the hello-world: the first of BENCH_BOOKS, BENCH_MIX_SECONDS=15 each
.PHONY: bench-mix
BENCH_MIX_SECONDS ?= 15
bench-mix: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	BENCH_BOOKS=$(BENCH_BOOKS) BENCH_SECONDS=$(BENCH_MIX_SECONDS) $(BIN)/python -m bench.mix
# --- mail and background work ---
bench-mail: install
	$(BIN)/python -m bench.mail
# --- reading journal ---
# A reader with 5,000 reads over 10 years: stats, goal and shelf-by-rating on one worker, no cache (BENCH_JOURNAL_SECONDS).
.PHONY: bench-journal
BENCH_JOURNAL_SECONDS ?= 5
bench-journal: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.journal --seconds $(BENCH_JOURNAL_SECONDS)
