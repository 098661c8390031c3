# The two commands of the README:
#   make book   set up, execute every chapter, build the site into _build/html
#   make test   set up, then lint, unit tests, every chapter under nbval, strict book build
# Also: make lab (JupyterLab, .md chapters open as notebooks), make clean.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-stamp

.PHONY: all book test lab clean install lint unit notebooks book-strict lock

all: book

# Exact pins (constraints.txt) on top of the ranges in pyproject.toml.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[book,test]"
	touch $@

install: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build .
	@echo "The book is built: open file://$(CURDIR)/_build/html/index.html"

# --keep-going runs every check and still fails when one of them fails.
test: $(STAMP)
	$(MAKE) --no-print-directory --keep-going lint unit notebooks book-strict

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	$(PY) -m pytest tests

notebooks: $(STAMP)
	$(PY) tests/chapters.py _build/nbval
	$(PY) -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider _build/nbval

book-strict: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

# JupyterLab opens .md files with the jupytext notebook viewer (settings kept inside the venv).
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings
lab: $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[lab]"
	mkdir -p $(LAB_SETTINGS)
	echo '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}}' > $(LAB_SETTINGS)/overrides.json
	$(BIN)/jupyter lab

# Refresh the exact pins from the current environment (after changing pyproject.toml).
lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | grep -v '^gapkit' > constraints.txt

clean:
	rm -rf _build .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
	@echo "Kept $(VENV) (remove it with: rm -rf $(VENV))"
