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
PYTEST_ARGS ?=

.PHONY: help lab workspace present test lint format outputs navigation site assignment bench clean

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
	@echo "make bench       measure speed and size; write the table into README.md"
	@echo "make mutation    plant one-line bugs in utils/ and tools/course.py; list those the fast tests miss (MODULE=utils.widgets: one module)"
	@echo "make clean       remove the virtual environment"

lab: $(VENV)/.lab-installed $(PREPARE)
	@sh tools/system-packages.sh dot
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=. $(ROOT_FLAG) $(LAB_ARGS) $(FIRST_NOTEBOOK)

# A learner's own copy of the student edition: the first time, every notebook; after a course
# update, only the notebooks that are new. A notebook already there is never replaced.
workspace: $(VENV)/.lab-installed
	$(BIN)/python tools/course.py workspace $(WORKSPACE)

# Presenting: the same server, with its own settings (deck mode on, fonts for a projector)
# kept in .venv so that a teacher's everyday JupyterLab settings stay as they are.
present: $(VENV)/.lab-installed $(PREPARE)
	@sh tools/system-packages.sh dot
	rm -rf $(VENV)/present-settings && cp -r tools/present-settings $(VENV)/present-settings
	JUPYTERLAB_SETTINGS_DIR=$(VENV)/present-settings $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 \
		--ServerApp.root_dir=. $(ROOT_FLAG) $(LAB_ARGS) $(FIRST_NOTEBOOK)

site: $(VENV)/.test-installed
	$(BIN)/python tools/course.py site _site
	@echo "Open _site/index.html"

test: $(VENV)/.test-installed
	@sh tools/system-packages.sh --require dot
	@sh tools/system-packages.sh chromium
	$(MAKE) --no-print-directory lint
	$(BIN)/python tools/course.py check-navigation
	$(BIN)/pytest -n 2 --dist loadscope --nbval --nbval-current-env $(PYTEST_ARGS) tests notebooks

lint: $(VENV)/.test-installed
	$(BIN)/ruff check utils tests tools notebooks
	$(BIN)/ruff format --check utils tests tools notebooks

format: $(VENV)/.test-installed
	$(BIN)/ruff check --fix utils tests tools $(COURSE_NOTEBOOKS)
	$(BIN)/ruff format utils tests tools $(COURSE_NOTEBOOKS)

outputs: $(VENV)/.test-installed
	@sh tools/system-packages.sh --require dot
	$(BIN)/python tools/course.py navigation
	$(BIN)/python tools/course.py outputs

navigation: $(VENV)/.test-installed
	$(BIN)/python tools/course.py navigation

# For teachers who grade with nbgrader: _nbgrader/ is an nbgrader course folder.
assignment: $(VENV)/.test-installed
	$(BIN)/python tools/course.py assignment _nbgrader

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

# Maintainers: which one-line bugs would the fast tests miss? CPU-heavy: one module at a time
# (MODULE=utils.graph) and JOBS=2 workers by default. Results stay in mutants/ for the next run.
mutation: $(VENV)/.test-installed
	$(BIN)/mutmut run --max-children $(or $(JOBS),2) $(if $(MODULE),"$(MODULE).*")
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV)
