# Formwork — the two commands of CONTRACT.md, plus the tools behind them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APP ?= apps/sales_crm
# Generated schema validators are cached here (see engine/spec/schema_fastpath.py).
export FORMWORK_CACHE_DIR ?= $(CURDIR)/.cache/formwork

.PHONY: run test lint typecheck docs check bench clean

# The venv is rebuilt when pyproject.toml changes; the stamp records the extras installed.
$(VENV)/.installed-base: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed-base

# Migrate, load the demo data (idempotent: a second run changes nothing), then serve on
# http://127.0.0.1:5000 (the database is $DATABASE_URL, else instance/<app>.db).
run: $(VENV)/.installed-base
	$(PY) run.py migrate $(APP)
	$(PY) run.py seed $(APP) --demo
	$(PY) run.py serve $(APP)

test: $(VENV)/.installed-dev lint typecheck
	$(PY) -m pytest

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(VENV)/bin/mypy

docs: $(VENV)/.installed-dev
	$(PY) -m engine.plugins.export schema
	$(PY) -m engine.plugins.export reference

check: $(VENV)/.installed-base
	$(PY) run.py check $(APP)

bench: $(VENV)/.installed-dev
	$(PY) -m bench

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache .hypothesis test-output
