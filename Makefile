# Two entry points on a fresh clone: `make demo` and `make test`.
# Each creates .venv (if missing) and installs the project with its test extras.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo

SCALE ?= small

.PHONY: test demo install bench figures clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q tests

demo: $(STAMP)
	$(PY) -m glifac demo --out $(DEMO_DIR)

# the figure notebooks: `make figures` runs the small grids (about 100 minutes on 2 cores);
# `make figures SCALE=full` runs the paper, paper-decoys and appendix-e grids (GPU or Ray: RAY_ADDRESS)
figures: $(STAMP)
	$(PY) notebooks/run_all.py --scale $(SCALE) --sweeps sweeps --out figures/$(SCALE)

bench: $(STAMP)
	$(PY) benchmarks/bench_simulate.py

clean:
	rm -rf $(VENV) *.egg-info
