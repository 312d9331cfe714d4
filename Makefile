# Everyday commands. `make help` lists them.
PYTHON ?= python
FIGURES_TMP ?= out

.PHONY: help dev test lint figures bench docs

help:
	@echo "make dev      install the project for development: pip install -e \".[dev,docs]\""
	@echo "make test     run the test suite (in parallel, on every core)"
	@echo "make lint     ruff check, ruff format --check, mypy (needs the dev extra)"
	@echo "make figures  rerun the tutorial pipeline, refresh docs/images/ and its output"
	@echo "make bench    run the speed comparisons"
	@echo "make docs     build the documentation site"

dev:
	$(PYTHON) -m pip install -e ".[dev,docs]"

test:
	$(PYTHON) -m pytest -q

lint:
	@$(PYTHON) -c "import ruff, mypy" 2>/dev/null || { \
		echo 'make lint needs ruff and mypy: pip install -e ".[dev]" (or make dev)' >&2; exit 1; }
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy tinygrad_lite

# The README's pictures and sample output, from one run: the default training run (animated),
# the hidden-size sweep and the graph of one step's cost. Everything is written to
# $(FIGURES_TMP) first; the figures are copied, and the training run's output is kept in
# $(FIGURES_TMP)/train.txt.
figures:
	mkdir -p $(FIGURES_TMP)
	$(PYTHON) -m models.planar train --animate --out $(FIGURES_TMP) > $(FIGURES_TMP)/train.txt
	cat $(FIGURES_TMP)/train.txt
	$(PYTHON) -m models.planar sweep --out $(FIGURES_TMP)
	$(PYTHON) -m models.planar graph --out $(FIGURES_TMP)
	mkdir -p docs/images
	cp $(addprefix $(FIGURES_TMP)/,data.png decision_boundary.png cost.png training.gif sweep.png graph.png) docs/images/

bench:
	$(PYTHON) -m benchmarks

docs:
	mkdocs build --strict
