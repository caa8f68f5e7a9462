# `make run`  : virtualenv, install, services, migrations, demo data, web (gunicorn) + worker + beat.
# `make dev`  : the same with Django's runserver (autoreload) as the web process.
# `make test` : the same set-up, then the whole test suite.
# DATABASE_URL / REDIS_URL unset -> embedded PostgreSQL and Redis under .data/ (see itsm/devservices.py).

PYTHON ?= python3
# make is the development entry point: debug settings unless told otherwise.
export DEBUG ?= 1
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: run dev test install services migrate demo stop status lint check bench clean

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

# Links in notification mail point here (the web process listens on port 8000).
SITE_URL ?= http://localhost:8000
SUPERVISE = SITE_URL=$(SITE_URL) PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/supervisord -c supervisord.conf

define BANNER
	@echo ""
	@echo "  MSP console : http://localhost:8000/            msp@example.com / demo"
	@echo "  Acme desk   : http://acme.localhost:8000/       agent@acme.example / demo (admin@acme.example, user@acme.example)"
	@echo "  Globex desk : http://globex.localhost:8000/     agent@globex.example / demo (admin@globex.example, user@globex.example)"
	@echo "  API docs    : http://acme.localhost:8000/api/docs/"
	@echo "  Demo accounts only; Ctrl-C stops web, worker and beat (a crashed one is restarted)."
	@echo ""
endef

run: demo
	$(BANNER)
	ITSM_WEB_COMMAND="gunicorn -c itsm/gunicorn.conf.py itsm.wsgi:application" $(SUPERVISE)

dev: demo
	$(BANNER)
	ITSM_WEB_COMMAND="python manage.py runserver 0.0.0.0:8000" DB_POOL=0 $(SUPERVISE)

status:
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/supervisorctl -c supervisord.conf status

test: services
	$(PY) -m pytest $(PYTEST_ARGS)

# The floors (import-linter's contracts in pyproject.toml); `make test` checks them too.
lint: install
	$(BIN)/lint-imports --no-cache

stop:
	$(PY) -m itsm.devservices stop

bench: services
	$(PY) bench/run.py

clean: stop
	rm -rf $(VENV) .data
