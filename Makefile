# `make test` and `make demo` set everything up themselves: only Python >= 3.10, git and make needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# stashapi 0.1.x installs the same module as stashapp-tools, so it lives in its own folder and
# the tests that use it put that folder first on sys.path in a subprocess.
ALT_STASHAPI := $(VENV)/alt/stashapi-0.1
STAMP := $(VENV)/.installed

.PHONY: test lint format venv clean package bench demo chaos

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps \
		--target $(ALT_STASHAPI) stashapi==0.1.5
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Two workers: CI and developers have 2 cores, and the suite waits on subprocesses and servers.
test: lint
	$(BIN)/python -m pytest -q -n 2

# The whole suite at full size (STASH2PLEX_CHAOS=1), then the table of what it measured.
CHAOS_RESULTS := .chaos/results.jsonl
chaos: $(STAMP)
	rm -f $(CHAOS_RESULTS)
	STASH2PLEX_CHAOS=1 STASH2PLEX_CHAOS_RESULTS=$(abspath $(CHAOS_RESULTS)) \
		$(BIN)/python -m pytest -q -p no:cacheprovider
	$(BIN)/python -m tests.reliability.report $(CHAOS_RESULTS) --write docs/reliability.md

demo: $(STAMP)
	$(BIN)/python -m demo

package: $(STAMP)
	$(BIN)/python scripts/package.py --out dist

bench: $(STAMP)
	$(BIN)/python bench/hook_latency.py
	$(BIN)/python bench/index_build.py
	$(BIN)/python bench/queue_ops.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/reconcile.py
	$(BIN)/python bench/sandbox_load.py
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/pull_activity.py
	$(BIN)/python bench/collection_details.py

clean:
	rm -rf $(VENV) dist .pytest_cache .ruff_cache .chaos
