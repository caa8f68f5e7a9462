# `make run`  : virtualenv, install, services, migrations, demo data, web + worker + beat.
# `make test` : the same set-up, then the whole test suite.
# DATABASE_URL / REDIS_URL unset -> embedded PostgreSQL and Redis under .data/ (see itsm/devservices.py).

PYTHON ?= python3
# make is the development entry point: debug settings unless told otherwise.
export DEBUG ?= 1
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: run test install services migrate demo stop lint check bench clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

services: install
	@$(PY) -m itsm.devservices start

migrate: services
	$(PY) manage.py migrate_schemas --executor=standard

demo: migrate
	$(PY) manage.py seed_demo

run: demo
	@echo ""
	@echo "  MSP console : http://localhost:8000/            msp@example.com / demo"
	@echo "  Acme desk   : http://acme.localhost:8000/       agent@acme.example / demo (admin@acme.example, user@acme.example)"
	@echo "  Globex desk : http://globex.localhost:8000/     agent@globex.example / demo (admin@globex.example, user@globex.example)"
	@echo "  API docs    : http://acme.localhost:8000/api/docs/"
	@echo "  Demo accounts only; Ctrl-C stops web, worker and beat."
	@echo ""
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/honcho start -f Procfile

test: services
	$(PY) -m pytest $(PYTEST_ARGS)

stop:
	$(PY) -m itsm.devservices stop

bench: services
	$(PY) bench/run.py

clean: stop
	rm -rf $(VENV) .data
