# Everyday commands. `make help` lists them.
PYTHON ?= python
FIGURES_TMP ?= out/figures

.PHONY: help test lint figures bench docs

help:
	@echo "make test     run the test suite"
	@echo "make lint     ruff check, ruff format --check, mypy"
	@echo "make figures  rerun the tutorial pipeline and refresh docs/images/*.png"
	@echo "make bench    run the speed comparisons"
	@echo "make docs     build the documentation site"

test:
	$(PYTHON) -m pytest -q

lint:
	ruff check .
	ruff format --check .
	mypy tinygrad_lite

# The README's pictures: the default training run, the hidden-size sweep and the graph of one
# step's cost. Everything is written to $(FIGURES_TMP) first; only the PNGs are copied.
figures:
	$(PYTHON) -m models.planar train --out $(FIGURES_TMP)
	$(PYTHON) -m models.planar sweep --out $(FIGURES_TMP)
	$(PYTHON) -m models.planar graph --out $(FIGURES_TMP)
	mkdir -p docs/images
	cp $(addprefix $(FIGURES_TMP)/,data.png decision_boundary.png cost.png sweep.png graph.png) docs/images/

bench:
	$(PYTHON) -m benchmarks

docs:
	mkdocs build --strict
