# Consumo — every command a developer or CI needs. `make help` lists them.
PYTHON ?= python3
BACKEND := backend
VENV := $(BACKEND)/.venv
PY := $(abspath $(VENV))/bin/python
STAMP := $(VENV)/.installed-$(shell cat $(BACKEND)/requirements.lock | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: help setup run run-api migrate test test-fast test-backend lint typecheck generate erd fuzz clean bench bench-kpis bench-import

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

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

run: setup $(BACKEND)/.env frontend-setup ## the whole product: web app on http://localhost:3000, API on http://127.0.0.1:8000 (Ctrl-C stops both)
	$(FRONTEND)/scripts/run-all.sh "$(PY)"

run-api: setup $(BACKEND)/.env ## the API alone on http://127.0.0.1:8000 (embedded PostgreSQL unless DATABASE_URL is set)
	cd $(BACKEND) && $(PY) -m consumo.cli serve --host 127.0.0.1 --port 8000

migrate: setup ## apply the database migrations
	cd $(BACKEND) && $(PY) -m consumo.cli migrate

generate: setup ## regenerate backend/consumo/api_models.py from openapi/openapi.yaml
	cd $(BACKEND) && $(PY) -m consumo.codegen

erd: setup ## regenerate docs/erd.md from the models
	cd $(BACKEND) && $(PY) -m consumo.erd

lint: setup ## ruff (lint, and the formatting ruff format gives)
	cd $(BACKEND) && $(PY) -m ruff check consumo tests migrations faults
	cd $(BACKEND) && $(PY) -m ruff format --check consumo tests migrations faults bench

typecheck: setup ## mypy (strict)
	cd $(BACKEND) && $(PY) -m mypy

test-backend: setup ## pytest: contract, generated code, migrations, API, isolation, fuzzing
	cd $(BACKEND) && $(PY) -m pytest $(PYTEST_ARGS)

test: lint typecheck spec-lint test-backend faults frontend-check frontend-e2e ## every test (what CI runs)

test-fast: lint typecheck ## the edit loop: ruff, mypy, pytest without the slow fuzzing, the frontend's unit checks (no browser)
	cd $(BACKEND) && $(PY) -m pytest -m "not slow" -q $(PYTEST_ARGS)
	$(MAKE) frontend-check

# --- Frontend (frontend/): its own Node 22 in frontend/.tools, fetched from the npm registry ---
FRONTEND := frontend
FRONTEND_PATH := PATH="$(abspath $(FRONTEND))/.tools/bin:$$PATH"
FRONTEND_STAMP := $(FRONTEND)/node_modules/.installed-$(shell cat $(FRONTEND)/package-lock.json | cksum | cut -d' ' -f1)

.PHONY: frontend-setup frontend-generate frontend-check frontend-e2e screenshots

$(FRONTEND_STAMP): $(FRONTEND)/package-lock.json
	$(FRONTEND)/scripts/ensure-node.sh
	cd $(FRONTEND) && $(FRONTEND_PATH) npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend-setup: $(FRONTEND_STAMP) ## Node 22 in frontend/.tools + npm ci (pinned, from package-lock.json)
	@$(FRONTEND)/scripts/ensure-node.sh

frontend-generate: frontend-setup ## regenerate frontend/src/client (SDK, types, Zod) from openapi/openapi.yaml
	cd $(FRONTEND) && $(FRONTEND_PATH) npm run --silent generate

frontend-check: frontend-generate ## generated client up to date, Prettier, ESLint, tsc --noEmit, unit tests
	$(FRONTEND)/scripts/check-generated.sh
	cd $(FRONTEND) && $(FRONTEND_PATH) npm run --silent format:check
	cd $(FRONTEND) && $(FRONTEND_PATH) npm run --silent lint
	cd $(FRONTEND) && $(FRONTEND_PATH) npm run --silent typecheck
	cd $(FRONTEND) && $(FRONTEND_PATH) npm run --silent test

frontend-e2e: setup frontend-setup ## Playwright in the system Chromium against the real API on a throwaway database
	@test -x /usr/bin/chromium || { apt-get update && apt-get install -y --no-install-recommends chromium; }
	cd $(FRONTEND) && $(FRONTEND_PATH) npm run --silent e2e:build
	cd $(FRONTEND) && $(FRONTEND_PATH) npm run --silent e2e

screenshots: setup frontend-setup ## every page at 390 and 1280 px (JPEG) into docs/screenshots/, for docs/web-app.md (not part of `make test`)
	@test -x /usr/bin/chromium || { apt-get update && apt-get install -y --no-install-recommends chromium; }
	cd $(FRONTEND) && $(FRONTEND_PATH) npm run --silent e2e:build
	cd $(FRONTEND) && $(FRONTEND_PATH) npx playwright test -c playwright.screenshots.config.ts

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) $(BACKEND)/.data

bench: setup ## the API as production serves it under wrk, against plain Flask and pgbench in the same run (BENCH_SCALE=0.05 for a quick one)
	cd $(BACKEND) && PYTHONPATH=.:bench $(PY) bench/bench.py

bench-kpis: setup ## KPI benchmark: 1,000,000 records, roll-up vs naive GROUP BY (BENCH_RECORDS to change)
	cd $(BACKEND) && PYTHONPATH=. $(PY) bench/bench_kpis.py

bench-import: setup ## CSV import benchmark: 1,000,000 rows, rows/s of dry run, commit and revert, peak memory (BENCH_ROWS to change)
	cd $(BACKEND) && PYTHONPATH=. $(PY) bench/bench_import.py

# --- Proofs beyond the unit suite: faults, long fuzzing, spec lint ------------------------------
FUZZ_EXAMPLES ?= 200
SPEC_LINT := tools/spec-lint

.PHONY: faults fuzz spec-lint

faults: setup ## fault tests on servers of their own: kill -9 mid-write, PostgreSQL stopped under load, Redis down, two API processes
	@command -v redis-server >/dev/null || { apt-get update && apt-get install -y --no-install-recommends redis-server; }
	cd $(BACKEND) && $(PY) -m pytest faults $(PYTEST_ARGS)

fuzz: setup ## schemathesis CLI (st run) against uvicorn + a throwaway PostgreSQL; JUnit reports in reports/
	cd $(BACKEND) && PYTHONPATH=. $(PY) faults/fuzz_server.py --examples $(FUZZ_EXAMPLES) --reports $(abspath reports)

$(SPEC_LINT)/node_modules/.installed: $(SPEC_LINT)/package.json $(SPEC_LINT)/package-lock.json
	cd $(SPEC_LINT) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Redocly CLI runs on Node >= 20.19 (or >= 22.12); an older system Node borrows the
# frontend's pinned Node 22 (frontend/scripts/ensure-node.sh).
spec-lint: $(SPEC_LINT)/node_modules/.installed ## Redocly lint of the contract: recommended-strict + house rules, fails on any warning
	@if node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null; then \
	  node $(SPEC_LINT)/lint.mjs; \
	else \
	  frontend/scripts/ensure-node.sh >&2 && frontend/.tools/bin/node $(SPEC_LINT)/lint.mjs; \
	fi

# --- Containers (docker-compose.yml; configuration in .env, see .env.example) --------------------
COMPOSE ?= docker compose

.PHONY: up down logs compose-config

up: ## build and start PostgreSQL, Redis, the API and the web app in containers (needs .env)
	@test -f .env || { echo "no .env: cp .env.example .env and fill in its secrets" >&2; exit 1; }
	$(COMPOSE) up -d --build
	@echo "web app: http://localhost:$${WEB_PORT:-3000}  API: http://127.0.0.1:$${API_PORT:-8000}/api/v1/docs/"

down: ## stop the containers (the database volume is kept; `docker compose down -v` deletes it)
	$(COMPOSE) down

logs: ## follow the containers' logs
	$(COMPOSE) logs -f --tail=200

compose-config: ## validate docker-compose.yml with the compose CLI itself (needs docker compose or docker-compose)
	$(COMPOSE) config -q
