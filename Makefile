# The template's own commands. `make test` is what CI runs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.DEFAULT_GOAL := test
.PHONY: test lint format bake services clean

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

test: $(VENV)/.installed ## The full suite: hooks, every bake, generated suites (PostgreSQL tests need TEST_DATABASE_URL)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.installed
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bake: $(VENV)/.installed ## Bake the defaults into ./.cache/bake for a look
	rm -rf .cache/bake
	$(PY) -m cookiecutter --no-input -o .cache/bake .

services: ## Start PostgreSQL and Redis on loopback (Debian packages, as root); prints the env to export
	@bash scripts/services.sh

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache
