# Consumo — every command a developer or CI needs. `make help` lists them.
PYTHON ?= python3
BACKEND := backend
VENV := $(BACKEND)/.venv
PY := $(abspath $(VENV))/bin/python
STAMP := $(VENV)/.installed-$(shell cat $(BACKEND)/requirements.lock | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: help setup run run-api migrate test test-backend lint typecheck generate erd fuzz clean bench-kpis

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): $(BACKEND)/requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --upgrade pip==25.3
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r $(BACKEND)/requirements.lock
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP) ## create backend/.venv with the pinned dependencies

$(BACKEND)/.env:
	cd $(BACKEND) && $(PY) -m consumo.cli init-env

run: run-api ## the whole product (for now the API) on http://127.0.0.1:8000

run-api: setup $(BACKEND)/.env ## the API alone on http://127.0.0.1:8000 (embedded PostgreSQL unless DATABASE_URL is set)
	cd $(BACKEND) && $(PY) -m consumo.cli serve --host 127.0.0.1 --port 8000

migrate: setup ## apply the database migrations
	cd $(BACKEND) && $(PY) -m consumo.cli migrate

generate: setup ## regenerate backend/consumo/api_models.py from openapi/openapi.yaml
	cd $(BACKEND) && $(PY) -m consumo.codegen

erd: setup ## regenerate docs/erd.md from the models
	cd $(BACKEND) && $(PY) -m consumo.erd

lint: setup ## ruff
	cd $(BACKEND) && $(PY) -m ruff check consumo tests migrations

typecheck: setup ## mypy (strict)
	cd $(BACKEND) && $(PY) -m mypy

test-backend: setup ## pytest: contract, generated code, migrations, API, isolation, fuzzing
	cd $(BACKEND) && $(PY) -m pytest $(PYTEST_ARGS)

test: lint typecheck test-backend ## every test (what CI runs)

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) $(BACKEND)/.data

bench-kpis: setup ## KPI benchmark: 1,000,000 records, roll-up vs naive GROUP BY (BENCH_RECORDS to change)
	cd $(BACKEND) && PYTHONPATH=. $(PY) bench/bench_kpis.py
