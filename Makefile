# Two commands for a newcomer (see README):
#   make run    install what the dashboard needs and start it (dashboard + HTTP API)
#   make test   install what the tests need and run the whole suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# make run PORT=8600 serves on another port.
PORT ?= 8501

.PHONY: run test bench

$(VENV)/.run-deps: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

run: $(VENV)/.run-deps
	$(VENV)/bin/streamlit run serve.py --server.port $(PORT)

test: $(VENV)/.dev-deps
	bash scripts/ensure-chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	@# pytest exits 5 when it collected no tests: that is a failure here, never a pass.
	@# One worker per core (pytest-xdist), at most 4: every test owns its database, ports and
	@# temp folder, so they run side by side.
	$(PY) -m pytest -n auto --maxprocesses 4; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing the run" >&2; fi; \
	exit $$rc

bench: $(VENV)/.run-deps
	$(PY) -m loop_core bench --stores 14000 --runs 15
