# Everyday commands. `make test` from a fresh clone installs everything it needs.
# See README.md for what each target does and how the database is chosen.

PYTHON ?= python3.11
ifeq ($(shell command -v $(PYTHON) 2>/dev/null),)
PYTHON := python3
endif

VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONSTRAINTS := requirements/constraints.txt
DEMO_ARGS ?=
LOCK_VENV := .local/lock-venv
LOCK_OUT ?= $(CONSTRAINTS)

.PHONY: venv db test test-long demo lint bench lock clean

# The venv is (re)installed only when pyproject.toml or the pins change.
venv: $(STAMP)
$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -c $(CONSTRAINTS) -e '.[dev]'
	touch $@

# Find or start PostgreSQL, create the project database, apply sql/ migrations.
db: venv
	$(BIN)/disclosure-audit db migrate

# pytest exits 5 when it collects no test; make fails on it like on any non-zero exit.
test: venv db
	$(BIN)/ruff check .
	$(BIN)/pytest

# The long suites (kill, fault, scale: tests marked `long`, which `make test` leaves out). Some
# 20 minutes on two cores. No test collected (pytest exit 5) fails the target like any other failure.
test-long: venv db
	$(BIN)/pytest -m long

# Serve the replica on 8321, crawl it into the project database, print what and where; then stop
# (DEMO_ARGS=--serve keeps the replica up for a browser until Ctrl-C).
demo: venv db
	$(BIN)/disclosure-audit demo $(DEMO_ARGS)

lint: venv
	$(BIN)/ruff check .

# Side by side with the anchors (BeautifulSoup, executemany, raw COPY, plain SQL), about 25 minutes on two
# cores; writes bench/RESULTS.md. BENCH_QUICK=1 make bench: a two-minute smoke run.
bench: venv db
	$(BIN)/pip install --quiet -r bench/requirements.txt -c $(CONSTRAINTS)
	$(BIN)/python bench/run.py

# Re-resolve the pins: install pyproject.toml's ranges (with the dev extra) into a throw-away
# venv and write its freeze to $(LOCK_OUT) under a header. Review the diff, then `make test`.
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet '.[dev]'
	{ sed -n '/^#/p;/^#/!q' $(CONSTRAINTS); $(LOCK_VENV)/bin/pip freeze --exclude disclosure-audit; } > $(LOCK_OUT).new
	mv $(LOCK_OUT).new $(LOCK_OUT)
	rm -rf $(LOCK_VENV)

# Removes the venv and caches. The private database cluster (.local/pgdata) is kept:
# stop it with `disclosure-audit db stop` and delete .local/ yourself to drop its data.
clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache src/*.egg-info
	find . -path ./.local -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
