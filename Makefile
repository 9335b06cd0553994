# The two set-up commands: `make demo` and `make test`. Each creates .venv when absent.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# The newest python3.1x >= 3.11 that actually runs (a pyenv shim may exist but fail).
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck contracts pytest clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "twinsight needs Python 3.11 or newer on the PATH" >&2; exit 2; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

demo: $(STAMP)
	$(BIN)/twinsight demo

test: lint typecheck contracts pytest

lint: $(STAMP)
	$(BIN)/ruff check twinsight tests bench
	$(BIN)/ruff format --check twinsight tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

# Tests run on every core (each starts its own servers on ephemeral ports). The suite is
# CPU-bound: 7-12 minutes on a 2-core machine, and more workers than cores are no faster.
pytest: $(STAMP)
	$(BIN)/pytest -q -n auto

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
