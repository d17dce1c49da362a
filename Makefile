# The two commands in the README: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# A database name of its own per run, so two runs on one server never drop each other's test database.
PG_URL ?= postgres://postgres@127.0.0.1:5432/pitwall_$(shell echo $$$$)
REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: setup run demo test lint typecheck test-sqlite test-shim test-postgres bench

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet -e ./shim
	touch $@

# Service on the embedded default: SQLite in var/, tasks in process, http://127.0.0.1:8000
run: setup
	mkdir -p var
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py bootstrap --create-admin
	@echo "For a living dashboard with a simulated community, run: make demo"
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# make run plus a simulated community (clearly marked), so the dashboard has something to show.
demo: setup
	mkdir -p var
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py bootstrap --create-admin
	DEBUG=1 $(PY) manage.py simulate_rollout --once
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# The whole test suite: lint, types, the service on SQLite, the shim.
test: setup lint typecheck test-sqlite test-shim

lint:
	$(VENV)/bin/ruff check .

typecheck:
	$(VENV)/bin/mypy .
	$(VENV)/bin/mypy --strict --python-version 3.9 --config-file /dev/null shim/leptos_fast

test-sqlite:
	$(PY) -m pytest -q -p no:cacheprovider

test-shim:
	cd shim && ../$(PY) -m pytest -q -p no:django -p no:cacheprovider tests

# The same suite on PostgreSQL with a real Celery worker on Redis (CI runs this too).
test-postgres: setup
	DATABASE_URL=$(PG_URL) PITWALL_TEST_CELERY_BROKER=$(REDIS_URL) $(PY) -m pytest -q -p no:cacheprovider

bench: setup
	$(PY) bench/flags.py
