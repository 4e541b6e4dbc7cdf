# Every target bootstraps .venv from the lock file; a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint format schema bench migrate clean fuzz audit

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

serve: $(STAMP)  ## Serve the API on http://127.0.0.1:8000 (SQLite file, demo data, admin token)
	$(BIN)/crm serve

test: $(STAMP)  ## Run the whole suite (SQLite; PostgreSQL when TEST_DATABASE_URL is set; TESTS=paths for a part)
	$(BIN)/python -m pytest $(TESTS)

lint: $(STAMP)  ## ruff (lint + format check), mypy --strict and the import contracts (pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: $(STAMP)  ## Regenerate schema.graphql from the code
	$(BIN)/python -m schema.export > schema.graphql

migrate: $(STAMP)
	$(BIN)/crm migrate

bench: $(STAMP)  ## Benchmarks: GraphQL vs raw SQL, webhooks, sales, bulk import at 100k and 1M rows, PostGraphile side by side (see bench/README.md)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.webhooks
	$(BIN)/python -m bench.sales
	$(BIN)/python -m bench.bulk --rows 100000 --rows 1000000
	$(BIN)/python -m bench.peer

FUZZ_SECONDS ?= 120
FUZZ_SEED ?= 42

fuzz: $(STAMP)  ## schemathesis against a production-mode server on a fresh database for FUZZ_SECONDS; fails on any 5xx or INTERNAL_SERVER_ERROR
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SEED=$(FUZZ_SEED) $(BIN)/python -m tools.fuzz

audit: $(STAMP)  ## graphql-http's server audits (Node) and graphql-cop's checks against a production-mode server
	$(BIN)/python -m tools.audit

lock:  ## Re-resolve requirements.lock from pyproject.toml
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
