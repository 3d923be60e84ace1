# Hive Portal: the two commands a newcomer needs are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-postgres test-sqlite install install-dev migrate demo stop bench check clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(VENV)/.runtime $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

## run: install, migrate, load the demo (embedded database only) and serve with gunicorn on HIVE_BIND.
run: install
	@# No database URL: the embedded, local setup — plain HTTP on loopback unless HIVE_HTTPS says otherwise.
	@# With a database URL (production): the settings' secure defaults, and no demo unless HIVE_LOAD_DEMO=true.
	@db="$${HIVE_DATABASE_URL:-$${DATABASE_URL:-}}"; \
	[ -n "$$db" ] || db="$$(grep -s -E '^(HIVE_)?DATABASE_URL=.' .env | head -n 1 | cut -d= -f2-)"; \
	if [ -z "$$db" ]; then \
		export HIVE_HTTPS="$${HIVE_HTTPS:-$$(grep -s '^HIVE_HTTPS=' .env | cut -d= -f2-)}"; \
		export HIVE_HTTPS="$${HIVE_HTTPS:-false}"; \
	fi; \
	$(BIN)/python manage.py migrate --no-input && \
	$(BIN)/python manage.py collectstatic --no-input -v 0 && \
	$(BIN)/python manage.py load_demo --only-embedded && \
	exec $(BIN)/gunicorn -c gunicorn.conf.py hive_portal.wsgi

migrate: install
	$(BIN)/python manage.py migrate --no-input

demo: install
	$(BIN)/python manage.py load_demo

## stop: stop the job worker if one outlived gunicorn, then the embedded PostgreSQL of this data folder (make run
## leaves the database running for the next start; the worker stops with gunicorn).
stop: install
	$(BIN)/python manage.py job_worker stop
	$(BIN)/python manage.py embedded_db stop

## test: the whole suite on a real PostgreSQL + pgvector started by the test session, then the SQLite smoke subset.
test: test-postgres test-sqlite

test-postgres: install-dev
	./scripts/ensure_chromium.sh
	./scripts/ensure_gettext.sh
	env -u HIVE_DATABASE_URL -u DATABASE_URL $(BIN)/python -m pytest

test-sqlite: install-dev
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	HIVE_DATABASE_URL="sqlite:///$$tmp/hive.sqlite3" $(BIN)/python -m pytest -m sqlite_smoke -p no:cacheprovider

## check: lint and format (ruff), types (mypy), one-way app dependencies (import-linter), Django's system checks
## and no model change without its migration. Needs no database (an unreachable URL: nothing connects).
MESSAGES_IGNORE := --ignore=.venv/* --ignore=bench/* --ignore=tests/* --ignore=client/* --ignore=locale/*
CHECK_ENV := HIVE_DATABASE_URL=postgresql://check@127.0.0.1:9/check HIVE_SECRET_KEY=check-only-$$(printf 'x%.0s' $$(seq 50))
check: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(CHECK_ENV) $(BIN)/mypy
	$(CHECK_ENV) $(BIN)/python manage.py check
	$(CHECK_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

## messages: refresh the portal's translation catalogues (locale/pt_BR, and locale/en: the source language, whose
## empty entries mean "as written in the code", as Django's own) from the code, then compile them. Needs GNU gettext
## (scripts/ensure_gettext.sh); translate the new empty entries of locale/pt_BR/LC_MESSAGES/django.po.
messages: install-dev
	./scripts/ensure_gettext.sh
	$(CHECK_ENV) $(BIN)/python manage.py makemessages -l pt_BR -l en --no-location $(MESSAGES_IGNORE)
	$(CHECK_ENV) $(BIN)/python manage.py compilemessages -l pt_BR -l en --ignore=.venv

bench: install-dev
	$(BIN)/python bench/runtime_api.py
	$(BIN)/python bench/knowledge_search.py
	$(BIN)/python bench/knowledge_api.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/database_down.py
	$(BIN)/python bench/runtime_client.py
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) .pytest_cache
