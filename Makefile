# Set-up on a fresh machine is part of every target: .venv is created when missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The test matrix (make test-matrix): the whole suite again with lxml installed (openpyxl then
# writes XML through it, as in Anaconda, which ships lxml), and on the oldest versions pyproject
# declares, pinned in .ci/constraints-oldest.txt, on the oldest Python it declares (3.10).
LXML_VENV := .venv-lxml
OLDEST_VENV := .venv-oldest
CONSTRAINTS := .ci/constraints-oldest.txt
# pyenv puts a python3.10 shim on PATH even when 3.10 is not an active version, and the shim then
# fails: every candidate is run, and the first real 3.10 gives its own path
PY_OLDEST ?= $(shell for p in python3.10 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.10*/bin/python3.10; do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 10); print(sys.executable)' 2>/dev/null && break; done)

.PHONY: test test-lxml test-oldest test-matrix demo bench release lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check .
	KPI_EXPECT_LXML=0 $(BIN)/python -m pytest

$(LXML_VENV)/.installed: pyproject.toml
	test -x $(LXML_VENV)/bin/python || $(PY) -m venv $(LXML_VENV)
	$(LXML_VENV)/bin/python -m pip install -q --upgrade pip
	$(LXML_VENV)/bin/python -m pip install -q -e ".[test]" lxml
	touch $@

# newest versions plus lxml; tests/conftest.py fails the run if openpyxl does not use lxml
test-lxml: $(LXML_VENV)/.installed
	KPI_EXPECT_LXML=1 $(LXML_VENV)/bin/python -m pytest

$(OLDEST_VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	@if [ -z "$(PY_OLDEST)" ]; then \
	  echo "!!!!!!!! python3.10 not found: make test-oldest falls back to $(PY) ($$($(PY) --version 2>&1))," >&2; \
	  echo "!!!!!!!! so the oldest declared Python (3.10) is NOT tested in this run" >&2; fi
	test -x $(OLDEST_VENV)/bin/python || $(or $(PY_OLDEST),$(PY)) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install -q --upgrade pip
	$(OLDEST_VENV)/bin/python -m pip install -q -c $(CONSTRAINTS) -e ".[test]"
	touch $@

# the declared floors; .ci/check_floors.py fails the run unless each installed version is its floor
test-oldest: $(OLDEST_VENV)/.installed
	$(OLDEST_VENV)/bin/python .ci/check_floors.py
	KPI_EXPECT_LXML=0 $(OLDEST_VENV)/bin/python -m pytest

test-matrix: test-lxml test-oldest

demo: $(STAMP)
	$(BIN)/kpi demo -o demo_output

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# the folder a Windows HR person receives: the wheel, the double-click installer and its guide
release: $(STAMP)
	rm -rf dist/kpi-setup
	$(BIN)/python -m pip wheel -q --no-deps -w dist/kpi-setup .
	cp setup/kpi-setup.bat setup/kpi-setup.ps1 docs/install-windows.md dist/kpi-setup/

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) $(LXML_VENV) $(OLDEST_VENV) demo_output .pytest_cache dist
