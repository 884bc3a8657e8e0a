# make demo: the product on the demo workspace.  make test: the whole suite, servers included.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-deps install lint bench screenshots clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "comptoir needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: on Debian run 'apt-get install python3-venv'"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/comptoir demo

test-deps:
	@bash .ci/system-deps.sh

# Linters first: a style slip, a type error or an import across the layers fails the run in seconds.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: $(STAMP) test-deps lint
	$(PY) -m tests.run_suite $(ARGS)

bench: $(STAMP)
	$(PY) bench/bench_routing.py
	$(PY) bench/bench_claims.py
	$(PY) bench/bench_changefeed.py
	$(PY) bench/bench_escalation.py

screenshots: $(STAMP)
	$(PY) screenshots/make_screenshots.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
