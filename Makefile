# The template's own commands. `make test` is what CI runs.
# Lint targets name their folders: the project template holds a pyproject.toml that only parses once rendered.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.DEFAULT_GOAL := test
# pytest-xdist workers for `make test`: one more than the cores, as much of the time goes to waiting
# on subprocesses and servers. tests/conftest.py keeps each bake on one worker and starts the
# heaviest work first. `make verify` stays serial: its live tests kill workers and wait on deadlines.
# `make test verify` (what CI runs) runs the two side by side, each target's output printed whole
# when it ends: verify spends most of its time waiting on clocks and servers, so it takes the
# place of one xdist worker.
ifneq ($(and $(filter test,$(MAKECMDGOALS)),$(filter verify,$(MAKECMDGOALS))),)
MAKEFLAGS += --jobs=2 --output-sync=target
PYTEST_WORKERS ?= $(shell nproc)
endif
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder --durations=15
.PHONY: test lint format bake snapshots services bench verify clean

# pip installs the pinned uv, and uv the rest: it fetches in parallel (CI starts from nothing).
$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "$$(grep '^uv==' requirements-dev.txt)"
	$(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) -r requirements-dev.txt
	touch $@

test: $(VENV)/.installed ## The full suite: hooks, every bake, generated suites (PostgreSQL tests need TEST_DATABASE_URL)
	$(PY) -m ruff check hooks tests scripts local_extensions.py toml_literals.py answer_filters.py
	$(PY) -m ruff format --check hooks tests scripts local_extensions.py toml_literals.py answer_filters.py
	$(PY) -m pytest $(PYTEST_PARALLEL)

lint: $(VENV)/.installed
	$(PY) -m ruff check hooks tests scripts local_extensions.py toml_literals.py answer_filters.py
	$(PY) -m ruff format --check hooks tests scripts local_extensions.py toml_literals.py answer_filters.py

format: $(VENV)/.installed
	$(PY) -m ruff check --fix hooks tests scripts local_extensions.py toml_literals.py answer_filters.py
	$(PY) -m ruff format hooks tests scripts local_extensions.py toml_literals.py answer_filters.py

snapshots: $(VENV)/.installed ## Rewrite tests/snapshots/ from fresh renders of the presets (review the git diff)
	UPDATE_SNAPSHOTS=1 $(PY) -m pytest -q tests/test_snapshots.py

bake: $(VENV)/.installed ## Bake the defaults into ./.cache/bake for a look
	rm -rf .cache/bake
	$(PY) -m cookiecutter --no-input -o .cache/bake .

bench: $(VENV)/.installed ## Benchmark a baked project: CPU per request against floor twins (ratios), bake-to-green, queries, deep pages, memory (~5 min)
	@if [ -z "$$TEST_DATABASE_URL" ]; then eval "$$(bash scripts/services.sh)"; fi; \
	$(PY) -m scripts.bench $(BENCH_ARGS)

verify: $(VENV)/.installed ## The reliability suite: fuzzing, load, faults, hostile input, scale-out, a browser, pip-audit (needs the services)
	$(PY) -m pytest --durations=15 tests/verify

services: ## Start PostgreSQL and Redis on loopback (Debian packages, as root); prints the env to export
	@bash scripts/services.sh

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache
