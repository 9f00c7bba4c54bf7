# Community Cockpit: `make run` sets up and starts the cockpit on demo data; `make test` sets up and
# runs the whole suite (lint, SQLite, a throwaway PostgreSQL, headless Chromium).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test install install-test lint format clean-instance prod prod-stop

$(VENV)/.runtime-installed: requirements.txt
	@# a venv without pip is what Debian leaves when python3-venv is missing: install it and make the venv again
	test -x $(PIP) || $(PYTHON) -m venv --clear $(VENV) || \
	  { bash scripts/ensure_system_packages.sh python3-venv && $(PYTHON) -m venv --clear $(VENV); } || \
	  { echo "make: '$(PYTHON) -m venv' failed; on Debian: sudo apt-get install python3-venv" >&2; exit 1; }
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-test.txt $(VENV)/.runtime-installed
	$(PIP) install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

install: $(VENV)/.runtime-installed

install-test: $(VENV)/.test-installed

run: install
	$(PY) -m data_access init --demo
	$(PY) -m jobs run parking --backfill-days 28 >/dev/null  # four weeks of published history (idempotent)
	$(PY) -m jobs run estate_index --backfill-days 366 >/dev/null  # the demo year's monthly index (idempotent)
	$(PY) app.py

test:
	bash scripts/run_tests.sh

# the production topology on this machine (README "Production layout and deployment"): PostgreSQL,
# Redis, 3 gunicorn workers, 2 schedulers, on loopback; `make prod DISTRICT=1` adds the district demo
prod:
	bash scripts/prod_local.sh start $(if $(DISTRICT),--district)

prod-stop:
	bash scripts/prod_local.sh stop

# a fresh demo at the next `make run`: the store, its generated secret key and uploads go (not .venv)
clean-instance:
	rm -rf instance

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
