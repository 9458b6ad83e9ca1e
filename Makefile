# Two set-up commands for a new machine: `make run` and `make test`. Everything else is theirs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= $(or $(OPENFYXER_PORT),3000)
NPM_REGISTRY := $(shell npm config get registry 2>/dev/null)

# Reflex must use the bun that npm installed, and must not probe the web.
export PATH := $(CURDIR)/tools/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export NPM_CONFIG_REGISTRY := $(NPM_REGISTRY)
export LITELLM_LOCAL_MODEL_COST_MAP := True

.PHONY: run test install install-test frontend-tools clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=24"
	$(PY) -m pip install -q -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -q -e ".[test]"
	@touch $@

tools/node_modules/.installed: tools/package.json
	cd tools && npm install --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed tools/node_modules/.installed
install-test: $(VENV)/.installed-test tools/node_modules/.installed

run: install
	$(PY) -m openfyxer.cli init-env
	$(PY) -m openfyxer.cli migrate
	OPENFYXER_PORT=$(PORT) $(VENV)/bin/reflex run --env prod --single-port --frontend-port $(PORT) --backend-port $(PORT)

test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf .web .states $(VENV) tools/node_modules
