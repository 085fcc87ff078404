# Autograd, hands-on. The two commands a learner or a teacher needs:
#   make lab    set everything up, then open the course in JupyterLab
#   make test   set everything up, then run the whole test suite (what CI runs)
# Both can be run again at any time: set-up re-uses what is installed and takes seconds.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# EDITION=student opens the learner's own copy of the student edition (exercises left to do),
# kept in WORKSPACE: git ignores it and no command of the course overwrites or deletes it.
EDITION ?= complete
WORKSPACE ?= my-work
FIRST_NOTEBOOK := $(if $(filter student,$(EDITION)),$(WORKSPACE),notebooks)/01_requires_grad.ipynb
PREPARE := $(if $(filter student,$(EDITION)),workspace)
# The notebooks that make format may rewrite: the course's own, never a learner's.
COURSE_NOTEBOOKS := $(wildcard notebooks/[0-9][0-9]_*.ipynb)
# Jupyter refuses to run as root unless told to (containers, CI).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
LAB_ARGS ?=
# The course's Jupyter settings (a notebook's kernel stops when its tab closes or after ten
# idle minutes, so one learner's memory stays within Binder's); the learner's own come first.
COURSE_CONFIG := JUPYTER_CONFIG_PATH=$(CURDIR)/tools/jupyter-config$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH))
PYTEST_ARGS ?=
# Where pip finds torch (a Makefile variable, or from the environment; empty: the default index
# only). On Linux, PyTorch's CPU wheel index, as pytorch.org's "Start Locally" gives it: the
# default index's Linux torch is the CUDA build, about 5 GB more. On macOS and Windows the
# default index's torch is the CPU build already.
TORCH_INDEX_URL ?= $(if $(filter Linux,$(shell uname -s 2>/dev/null)),https://download.pytorch.org/whl/cpu)
# Only the torch step looks there, with few retries: where that index cannot be reached, pip
# warns and goes on with the other indexes within seconds instead of minutes.
TORCH_PIP_OPTIONS = $(if $(strip $(TORCH_INDEX_URL)),--extra-index-url $(TORCH_INDEX_URL) --retries 1 --timeout 10)
# More options for the step that installs the other pins (the tests use --dry-run --report FILE).
INSTALL_OPTIONS ?=
PIP_INSTALL = $(BIN)/python -m pip install --quiet
# The address JupyterLab prints (and opens) is the first notebook, not the Launcher.
OPEN_FIRST = --LabApp.default_url=/lab/tree/$(FIRST_NOTEBOOK)
PROXY := $(VENV)/proxy/node_modules/.bin/configurable-http-proxy

.PHONY: help lab workspace present test lint format outputs navigation site assignment deck bench clean

help:
	@echo "make lab         set up, then open the course in JupyterLab (EDITION=student: exercises to do)"
	@echo "make workspace   copy the student edition's new notebooks into my-work/ (never replaces one)"
	@echo "make present     open the course ready to present (deck mode, larger fonts)"
	@echo "make site        build a static HTML copy of the course in _site/"
	@echo "make test        set up, then run every test (lint, unit tests, strict nbval)"
	@echo "make outputs     re-run every notebook in a fresh kernel and store its outputs"
	@echo "make navigation  rewrite the Next links and the README course map"
	@echo "make lint        check the code and the notebooks with ruff (part of make test)"
	@echo "make assignment  build the nbgrader assignment in _nbgrader/ (source and release)"
	@echo "make format      format the code and the notebooks with ruff"
	@echo "make deck        fit every slide on a 1024x768 projector (stores a zoom per slide)"
	@echo "make bench       measure speed and size; write the table into README.md"
	@echo "make mutation    plant one-line bugs in utils/ and tools/course.py; list those the fast tests miss (MODULE=utils.widgets: one module)"
	@echo "make clean       remove the virtual environment"

lab: $(VENV)/.lab-installed $(PREPARE)
	@sh tools/system-packages.sh dot
	$(COURSE_CONFIG) $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=. $(ROOT_FLAG) \
		$(OPEN_FIRST) $(LAB_ARGS)

# A learner's own copy of the student edition: the first time, every notebook; after a course
# update, only the notebooks that are new. A notebook already there is never replaced.
workspace: $(VENV)/.lab-installed
	$(BIN)/python -m tools.course workspace $(WORKSPACE)

# Presenting: the same server, with its own settings (deck mode on, fonts for a projector)
# kept in .venv so that a teacher's everyday JupyterLab settings stay as they are.
present: $(VENV)/.lab-installed $(PREPARE)
	@sh tools/system-packages.sh dot
	rm -rf $(VENV)/present-settings && cp -r tools/present-settings $(VENV)/present-settings
	$(COURSE_CONFIG) JUPYTERLAB_SETTINGS_DIR=$(VENV)/present-settings $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 \
		--ServerApp.root_dir=. $(ROOT_FLAG) $(OPEN_FIRST) $(LAB_ARGS)

site: $(VENV)/.lab-installed
	$(BIN)/python -m tools.course site _site
	@echo "Open _site/index.html"

test: $(VENV)/.test-installed $(PROXY)
	@sh tools/system-packages.sh --require dot
	@sh tools/system-packages.sh chromium
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m tools.course check-navigation
	$(BIN)/python -m tools.pins check
	$(BIN)/pytest -n 2 --dist loadscope --nbval --nbval-current-env $(PYTEST_ARGS) tests notebooks

lint: $(VENV)/.test-installed
	$(BIN)/ruff check utils tests tools notebooks
	$(BIN)/ruff format --check utils tests tools notebooks

format: $(VENV)/.test-installed
	$(BIN)/ruff check --fix utils tests tools $(COURSE_NOTEBOOKS)
	$(BIN)/ruff format utils tests tools $(COURSE_NOTEBOOKS)

outputs: $(VENV)/.test-installed
	@sh tools/system-packages.sh --require dot
	$(BIN)/python -m tools.course navigation
	$(BIN)/python -m tools.course outputs

navigation: $(VENV)/.test-installed
	$(BIN)/python -m tools.course navigation

# For teachers who grade with nbgrader: _nbgrader/ is an nbgrader course folder.
assignment: $(VENV)/.test-installed
	$(BIN)/python -m tools.course assignment _nbgrader

# Presenting: measure each slide in deck mode at 1024x768 and store the zoom it needs.
deck: $(VENV)/.test-installed
	@sh tools/system-packages.sh --require chromium
	$(BIN)/python -m tools.deck fit

bench: $(VENV)/.test-installed
	@sh tools/system-packages.sh --require dot chromium
	$(BIN)/python -m tools.bench --readme

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Set-up from the pins in pyproject.toml (the one place versions are pinned), written out for
# pip by tools/pins.py; re-run only when pyproject.toml changes. Three steps: torch alone (the
# only step that looks at TORCH_INDEX_URL), then every other pin (torch is there already and
# stays), then the course's own package without dependencies.
$(VENV)/.torch-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m tools.pins requirements --only torch > $(VENV)/requirements-torch.txt
	$(PIP_INSTALL) $(TORCH_PIP_OPTIONS) -r $(VENV)/requirements-torch.txt
	touch $@

$(VENV)/.lab-installed: pyproject.toml $(VENV)/.torch-installed
	$(BIN)/python -m tools.pins requirements > $(VENV)/requirements-lab.txt
	$(PIP_INSTALL) $(INSTALL_OPTIONS) -r $(VENV)/requirements-lab.txt
	$(PIP_INSTALL) --no-deps -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.torch-installed
	$(BIN)/python -m tools.pins requirements --extra test > $(VENV)/requirements-test.txt
	$(PIP_INSTALL) $(INSTALL_OPTIONS) -r $(VENV)/requirements-test.txt
	$(PIP_INSTALL) --no-deps -e .
	touch $@ $(VENV)/.lab-installed

# JupyterHub's proxy, for the test of a class on a real hub (tests/test_hub.py): an npm
# package, installed into .venv/proxy when npm is there (a note otherwise; the test then skips).
$(PROXY): | $(BIN)/python
	@sh tools/system-packages.sh npm
	@if command -v npm >/dev/null 2>&1; then \
		npm install --silent --no-audit --no-fund --prefix $(VENV)/proxy configurable-http-proxy@5.3.0; \
	fi

# Maintainers: which one-line bugs would the fast tests miss? CPU-heavy: one module at a time
# (MODULE=utils.graph) and JOBS=2 workers by default. Results stay in mutants/ for the next run.
mutation: $(VENV)/.test-installed
	$(BIN)/mutmut run --max-children $(or $(JOBS),2) $(if $(MODULE),"$(MODULE).*")
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV)
