# The two commands of the README. Each sets itself up from nothing but python3 (and npm for
# the restate-server the runtime tests start).
VENV ?= .venv
PYTHON3 ?= python3
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: demo test clean

$(PY):
	$(PYTHON3) -m venv $(VENV)

# Install rea and run its main jobs: the linter on fixtures/ (the findings shown are expected),
# then the booking saga example against a restate-server the example starts itself.
demo: $(PY)
	$(PIP) -e '.[runtime]'
	$(VENV)/bin/flake8 --select REA fixtures/ ; test $$? -le 1
	$(PY) -m examples.booking

# Install everything the tests need and run them.
test: $(PY)
	$(PIP) -e '.[test]'
	$(PY) -m pytest

# The benchmarks (issues 8, 18): prints a table and writes docs/performance.md and its SVG plots
# (ruff is the speed reference; the bench extra adds it and matplotlib). On an idle 2-core machine.
.PHONY: bench
bench: $(PY)
	$(PIP) -e '.[bench]'
	$(PY) -m benchmarks

# The suite on another Python, in a venv of its own: `make test-python PYTHON3=python3.13`.
.PHONY: test-python
test-python:
	$(MAKE) test PYTHON3=$(PYTHON3) VENV=.venv-$(notdir $(PYTHON3))

clean:
	rm -rf $(VENV) .venv-* .pytest_cache .mypy_cache .rea_cache
