# Two commands for a newcomer: `make run` and `make test`. Each creates .venv when needed.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)

.PHONY: run test lint sample clean

$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $@

## run: install, write the sample city's files and first snapshot if missing, serve on :8050
run: $(STAMP)
	$(PY) -m etl.sample --if-missing
	$(PY) -m etl run --if-no-snapshot
	$(PY) app.py

## test: install, lint with ruff, run the whole test suite
test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .

## sample: write the sample city's source files again (same bytes every time)
sample: $(STAMP)
	$(PY) -m etl.sample

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
