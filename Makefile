# Two commands for a fresh machine (see README.md):
#   make app    set up, build the site and serve it on http://127.0.0.1:8000/
#   make test   set up (Chromium, Python packages, npm packages) and run the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: app test setup python-deps node-deps chromium build lint

app: setup build
	$(PY) -m http.server --bind 127.0.0.1 --directory dist $(PORT)

test: setup chromium lint
	$(PY) -m pytest

setup: python-deps node-deps

python-deps: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node-deps: $(if $(wildcard package-lock.json),node_modules/.installed)
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

build: setup
	$(if $(wildcard build.py),$(PY) build.py,@echo "no build.py yet")

lint: python-deps
	$(PY) -m ruff check .
