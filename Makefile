# Outreach: `make run` sets everything up and serves the app; `make test` runs the tests.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
HOUSEHOLDS ?= 3000

.PHONY: run test setup demo check messages clean bench

$(VENV)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_communes --province 66
	$(PY) manage.py seed_demo --households $(HOUSEHOLDS)
	$(PY) manage.py demo_accounts

run: demo
	@echo "Serving on http://127.0.0.1:8000/ (admin: /admin/). Stop with Ctrl-C."
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver 127.0.0.1:8000

# Under CI=true every test must run: use (or start) PostgreSQL, Redis and Chromium
# unless DATABASE_URL already names a database.
test: setup
	@if [ "$$CI" = true ] && [ -z "$$DATABASE_URL" ]; then . .ci/services.sh || exit 1; fi; \
	$(PY) -m pytest $(PYTEST_ARGS)

check: setup
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

# Province-scale benchmarks against PostgreSQL (about 40 minutes); figures in docs/performance.md.
bench: setup
	$(PY) bench/run.py

# Regenerate the Vietnamese catalogue after changing user-facing strings, then translate and compile.
messages: setup
	$(PY) manage.py makemessages --locale vi --ignore '.venv/*' --no-obsolete
	$(PY) manage.py compilemessages --locale vi --ignore '.venv/*'

clean:
	rm -rf $(VENV) db.sqlite3
