# Autograd, hands-on. The two commands a learner or a teacher needs:
#   make lab    set everything up, then open the course in JupyterLab
#   make test   set everything up, then run the whole test suite (what CI runs)
# Both can be run again at any time: set-up re-uses what is installed and takes seconds.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# EDITION=student opens the student edition (exercises left to do) instead of the complete one.
EDITION ?= complete
FIRST_NOTEBOOK := notebooks/$(if $(filter student,$(EDITION)),student/)01_requires_grad.ipynb
# Jupyter refuses to run as root unless told to (containers, CI).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
LAB_ARGS ?=
# The course's Jupyter settings (a notebook's kernel stops when its tab closes or after ten
# idle minutes, so one learner's memory stays within Binder's); the learner's own come first.
COURSE_CONFIG := JUPYTER_CONFIG_PATH=$(CURDIR)/tools/jupyter-config$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH))
PYTEST_ARGS ?=
# The address JupyterLab prints (and opens) is the first notebook, not the Launcher.
OPEN_FIRST = --LabApp.default_url=/lab/tree/$(FIRST_NOTEBOOK)
PROXY := $(VENV)/proxy/node_modules/.bin/configurable-http-proxy

.PHONY: help lab present test lint format outputs navigation site bench clean

help:
	@echo "make lab         set up, then open the course in JupyterLab (EDITION=student: exercises to do)"
	@echo "make present     open the course ready to present (deck mode, larger fonts)"
	@echo "make site        build a static HTML copy of the course in _site/"
	@echo "make test        set up, then run every test (lint, unit tests, strict nbval)"
	@echo "make outputs     re-run every notebook in a fresh kernel and store its outputs"
	@echo "make navigation  rewrite the Next links and the README course map"
	@echo "make format      format the code and the notebooks with ruff"
	@echo "make bench       measure speed and size; write the table into README.md"
	@echo "make clean       remove the virtual environment"

lab: $(VENV)/.lab-installed
	@sh tools/system-packages.sh dot
	$(COURSE_CONFIG) $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=. $(ROOT_FLAG) \
		$(OPEN_FIRST) $(LAB_ARGS)

# Presenting: the same server, with its own settings (deck mode on, fonts for a projector)
# kept in .venv so that a teacher's everyday JupyterLab settings stay as they are.
present: $(VENV)/.lab-installed
	@sh tools/system-packages.sh dot
	rm -rf $(VENV)/present-settings && cp -r tools/present-settings $(VENV)/present-settings
	$(COURSE_CONFIG) JUPYTERLAB_SETTINGS_DIR=$(VENV)/present-settings $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 \
		--ServerApp.root_dir=. $(ROOT_FLAG) $(OPEN_FIRST) $(LAB_ARGS)

site: $(VENV)/.lab-installed
	$(BIN)/python tools/course.py site _site
	@echo "Open _site/index.html"

test: $(VENV)/.test-installed $(PROXY)
	@sh tools/system-packages.sh --require dot
	@sh tools/system-packages.sh chromium
	$(MAKE) --no-print-directory lint
	$(BIN)/python tools/course.py check-navigation
	$(BIN)/pytest -n 2 --dist loadscope --nbval --nbval-current-env $(PYTEST_ARGS) tests notebooks

lint: $(VENV)/.test-installed
	$(BIN)/ruff check utils tests tools notebooks
	$(BIN)/ruff format --check utils tests tools notebooks

format: $(VENV)/.test-installed
	$(BIN)/ruff check --fix utils tests tools notebooks
	$(BIN)/ruff format utils tests tools notebooks

outputs: $(VENV)/.test-installed
	@sh tools/system-packages.sh --require dot
	$(BIN)/python tools/course.py navigation
	$(BIN)/python tools/course.py outputs

navigation: $(VENV)/.test-installed
	$(BIN)/python tools/course.py navigation

bench: $(VENV)/.test-installed
	@sh tools/system-packages.sh --require dot chromium
	$(BIN)/python tools/bench.py --readme

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install only when pyproject.toml (the one place versions are pinned) changes.
$(VENV)/.lab-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.lab-installed

# JupyterHub's proxy, for the test of a class on a real hub (tests/test_hub.py): an npm
# package, installed into .venv/proxy when npm is there (a note otherwise; the test then skips).
$(PROXY): | $(BIN)/python
	@sh tools/system-packages.sh npm
	@if command -v npm >/dev/null 2>&1; then \
		npm install --silent --no-audit --no-fund --prefix $(VENV)/proxy configurable-http-proxy@5.3.0; \
	fi

clean:
	rm -rf $(VENV)
