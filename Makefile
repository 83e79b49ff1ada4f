# Hutong — the two commands from the README are `make run` and `make test`.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: install run test test-unit test-pg test-e2e check demo clean

$(STAMP): pyproject.toml requirements.lock
	@test -n "$(PYTHON)" || { echo "Hutong needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Serve Hutong at http://127.0.0.1:8000 on SQLite (migrates first).
run: $(STAMP)
	$(BIN)/hutong serve

## The whole test suite on the embedded default (SQLite), browser tests included.
test: test-unit test-e2e

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q

## The same suite against PostgreSQL and Redis (the scale-out configuration).
test-pg: $(STAMP)
	HUTONG_TEST_DATABASE_URL=$(PG_URL) HUTONG_TEST_REDIS_URL=$(REDIS_URL) $(BIN)/python -m pytest -q

## Browser tests in headless Chromium (Debian's chromium, or $$HUTONG_CHROMIUM).
test-e2e: $(STAMP)
	$(BIN)/python -m pytest -c tests/e2e/pytest.ini tests/e2e -q

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src
	$(BIN)/lint-imports

demo: $(STAMP)
	$(BIN)/hutong demo

clean:
	rm -rf $(VENV) var
