# The two commands of the README:
#   make book   set up, execute every chapter, build the site into _build/html
#   make test   set up, then lint, unit tests, every chapter under nbval (also offline),
#               strict book build
# Also: make lab (JupyterLab, .md chapters open as notebooks), make pdf (the whole book as
# one PDF), make book EDITION=student (no solutions, in _build/student), make clean.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-stamp

.PHONY: all book test lab clean install lint unit notebooks notebooks-offline book-strict site \
	lock assets pdf \
	launch-notebooks gpu-check gpu-carry

# The chapters run in their own folders: a relative GAPKIT_DATA_DIR means the folder from here.
ifneq ($(strip $(GAPKIT_DATA_DIR)),)
override GAPKIT_DATA_DIR := $(abspath $(GAPKIT_DATA_DIR))
export GAPKIT_DATA_DIR
endif

# teacher (default: with the solutions) or student (without), from the same sources
EDITION ?= teacher
BOOK_OUT := $(if $(filter student,$(EDITION)),--path-output _build/student,)

all: book

# Exact pins (constraints.txt) on top of the ranges in pyproject.toml.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[book,test]"
	touch $@

install: $(STAMP)

# What the website serves itself (no CDN): MathJax from the npm registry (versions in
# book/site/package-lock.json) and the logo. No page embeds ipywidgets (the explorers are
# HTML of their own), so no widget manager is served.
# axe-core, also from npm, stays in $(ASSETS)/npm: the site tests inject it, the site never
# serves it. book/_ext/static (the accessibility extension's CSS and JS) is a dependency so
# that a change to it makes a fresh site.
ASSETS := _build/assets
$(ASSETS)/.stamp: Makefile book/site/package.json book/site/package-lock.json \
		gapkit/plot.py $(wildcard book/_ext/static/*) | $(STAMP)
	# Sphinx copies static files only when a page changes: new assets mean a fresh site
	# (executed notebooks stay cached in _build/.jupyter_cache, so this is quick).
	rm -rf $(ASSETS) _build/html && mkdir -p $(ASSETS)/npm $(ASSETS)/static/mathjax
	cp book/site/package.json book/site/package-lock.json $(ASSETS)/npm/
	cd $(ASSETS)/npm && npm ci --no-audit --no-fund --loglevel=error
	cp $(ASSETS)/npm/node_modules/mathjax/es5/tex-mml-chtml.js $(ASSETS)/static/mathjax/
	mkdir -p $(ASSETS)/static/mathjax/output/chtml/fonts
	cp -r $(ASSETS)/npm/node_modules/mathjax/es5/output/chtml/fonts/woff-v2 $(ASSETS)/static/mathjax/output/chtml/fonts/
	$(PY) -m gapkit.plot $(ASSETS)/static
	touch $@

assets: $(ASSETS)/.stamp

book: $(STAMP) $(ASSETS)/.stamp
	BOOK_EDITION=$(EDITION) $(BIN)/jupyter-book build . $(BOOK_OUT)
	$(MAKE) --no-print-directory launch-notebooks
	@echo "The book is built: open file://$(CURDIR)/$(if $(BOOK_OUT),_build/student/)_build/html/index.html"

# What the Colab and Binder buttons open: each executed page as .ipynb, with a first cell
# that installs gapkit where it is missing (the publish workflow pushes them).
launch-notebooks: $(STAMP)
	$(PY) book/notebooks.py _build/.jupyter_cache _build/notebooks

# The whole book as one PDF, printed by the Chromium the site tests use: each explorer
# prints the figure it shows first.
pdf: $(STAMP) $(ASSETS)/.stamp
	$(BIN)/jupyter-book build . --builder singlehtml --path-output _build/pdf
	CHROMIUM="$(or $(CHROMIUM),$$(command -v chromium))" $(PY) book/pdf.py \
		_build/pdf/_build/singlehtml _build/mind-the-gap.pdf

# --keep-going runs every check and still fails when one of them fails.
test: $(STAMP)
	$(MAKE) --no-print-directory --keep-going lint unit notebooks notebooks-offline book-strict
	$(MAKE) --no-print-directory site

# Chapter code is also linted as a reader meets it (jupytext's .ipynb of every executable
# page) and at the content column's width, 80 characters. Not asked of chapters: zip(strict=)
# (B905) and binding a lambda's loop variable when the lambda runs inside the loop (B023).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(PY) tests/chapters.py _build/lint > /dev/null
	$(BIN)/ruff check --line-length 80 --ignore B905,B023 _build/lint/*/*.ipynb

unit: $(STAMP)
	$(PY) -m pytest tests --ignore=tests/site

notebooks: $(STAMP)
	$(PY) tests/chapters.py _build/nbval
	$(PY) -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider _build/nbval

# The chapters as a reader without a network meets them (issue #11): no GAPKIT_DATA_DIR, no
# GAPKIT_REQUIRE_DATA, every connection beyond loopback refused (tests/offline/sitecustomize.py
# runs first in every process, kernels included), and a cache with no paper files that
# borrows the usual cache's trained checkpoints, so nothing trains twice. Only chapters/ run:
# each reads a paper file, and the world and landing pages read none. GAPKIT_PRETRAINED names
# a checkpoint saved here (a random book CLIP, not real pretrained weights), so the pretrained
# rows of chapters 1, 2 and 5 run too; `make notebooks` runs them absent.
OFFLINE := _build/offline
OFFLINE_ENV := env -u GAPKIT_DATA_DIR -u GAPKIT_REQUIRE_DATA GAPKIT_CACHE=$(CURDIR)/$(OFFLINE)/cache \
	PYTHONPATH=$(CURDIR)/tests/offline$${PYTHONPATH:+:$$PYTHONPATH} \
	GAPKIT_PRETRAINED=$(CURDIR)/$(OFFLINE)/pretrained-test.pt GAPKIT_PRETRAINED_MODEL=gapclip-tiny
notebooks-offline: $(STAMP)
	$(PY) tests/chapters.py $(OFFLINE)/nbval > /dev/null
	rm -rf $(OFFLINE)/cache && mkdir -p $(OFFLINE)/cache
	usual="$$($(PY) -c 'from gapkit import runtime; print(runtime.cache_dir())')" && \
		mkdir -p "$$usual/checkpoints" && ln -s "$$usual/checkpoints" $(OFFLINE)/cache/checkpoints
	$(PY) -c "import sys; from gapkit import models, runtime; runtime.seed_everything(0); \
		models.save(models.load('gapclip-tiny', device='cpu'), sys.argv[1])" $(OFFLINE)/pretrained-test.pt
	$(OFFLINE_ENV) $(PY) -c "from gapkit.data import paper; \
		assert not paper.paper_available('clip'), 'not offline: the paper file was found'"
	$(OFFLINE_ENV) $(PY) -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider \
		$(OFFLINE)/nbval/chapters
	@test -z "$$(ls -A $(OFFLINE)/cache/paper-features 2>/dev/null)" || \
		{ echo "notebooks-offline: a paper file reached $(OFFLINE)/cache"; exit 1; }

book-strict: $(STAMP) $(ASSETS)/.stamp
	$(BIN)/jupyter-book build . -W -n --keep-going
	$(MAKE) --no-print-directory launch-notebooks

# The built site in a real browser: Debian's chromium, driven by Playwright (no download).
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser)
site: $(STAMP)
	@test -n "$(CHROMIUM)" || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		apt-get install -y -qq chromium >/dev/null; } || \
		{ echo "make site needs chromium: apt-get install chromium (or set CHROMIUM=path)"; exit 1; }
	CHROMIUM="$(or $(CHROMIUM),$$(command -v chromium))" $(PY) -m pytest tests/site

# The book's GPU check: one training step of every full-profile configuration on CUDA, and
# a few of one run of each kind replayed as a CUDA graph with its eager twin's numbers; then
# every page under nbval on CUDA in the full profile, from a cold cache, each page's seconds
# and the total (budget: 10 minutes on one modern GPU); then, as a report that fails
# nothing, whether a run trained twice on CUDA gives the same numbers and a replayed run its
# eager twin's to the last bit. For a GPU machine that cannot install packages, gpu-carry
# fills _build/gpu here and benchmarks/gpu/check.sh runs the same check there from it.
GPU_TESTS := $(PY) -m pytest -q -p no:cacheprovider tests/test_profiles.py tests/test_graphed.py
gpu-check: $(STAMP)
	GAPKIT_DEVICE=cuda $(GPU_TESTS) -k "cuda and not deterministic"
	GAPKIT_DEVICE=cuda GAPKIT_PROFILE=full $(PY) benchmarks/bench_book.py
	-GAPKIT_DEVICE=cuda $(GPU_TESTS) -k "cuda and deterministic"

gpu-carry: $(STAMP)
	$(PY) benchmarks/gpu/carry.py

# JupyterLab opens .md files with the jupytext notebook viewer (settings kept inside the venv).
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings
lab: $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[lab]"
	mkdir -p $(LAB_SETTINGS)
	echo '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}}' > $(LAB_SETTINGS)/overrides.json
	# as root (containers, many class servers) JupyterLab refuses to start without this
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

# Refresh the exact pins from the current environment (after changing pyproject.toml).
lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | grep -v '^gapkit' > constraints.txt

clean:
	rm -rf _build .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
	@echo "Kept $(VENV) (remove it with: rm -rf $(VENV))"
