# Two commands for a newcomer: `make run` and `make test`. Each creates .venv when needed.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
# npm packages: axe-core for the accessibility tests; Lighthouse for the page-speed benchmark.
NODE_STAMP := node_modules/.installed-$(shell cksum package-lock.json | cut -d' ' -f1)
BENCH_NODE_STAMP := bench/node_modules/.installed-$(shell cksum bench/package-lock.json | cut -d' ' -f1)
NPM_MISSING := npm was not found: install Node.js 18 or later with npm (Debian: sudo apt-get \
install nodejs npm)

.PHONY: run serve first-snapshot test lint sample clean bench-lighthouse bench-load screenshots

$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $@

# Without npm the tests still run; the accessibility tests skip with this hint (CI fails them).
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --no-audit --no-fund --loglevel=error && rm -f node_modules/.installed-* && touch $@; \
	else echo "$(NPM_MISSING); the axe-core accessibility tests will be skipped"; fi

$(BENCH_NODE_STAMP): bench/package.json bench/package-lock.json
	@command -v npm >/dev/null || { echo "$(NPM_MISSING)"; exit 1; }
	npm ci --prefix bench --no-audit --no-fund --loglevel=error
	rm -f bench/node_modules/.installed-* && touch $@

# The sample city's files, initiatives and first snapshot, each only if missing.
first-snapshot: $(STAMP)
	$(PY) -m etl.sample --if-missing
	$(PY) -m appdb initiatives import data/sample/initiatives.json
	$(PY) -m etl run --if-no-snapshot

## run: install, write the sample city's files and first snapshot if missing, serve on :8050
run: first-snapshot
	$(PY) app.py

## serve: the same, in production mode: gunicorn's workers and exactly one ETL scheduler
serve: first-snapshot
	$(PY) -m deploy.serve

## test: install, lint with ruff, run the whole test suite
test: $(STAMP) $(NODE_STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .

## bench-lighthouse: install Lighthouse, then run it on the public pages (see bench/README.md)
bench-lighthouse: $(STAMP) $(BENCH_NODE_STAMP)
	$(PY) -m bench.lighthouse $(BENCH_ARGS)

## bench-load: install locust, then 50 readers on gunicorn while the ETL publishes (bench/README.md)
bench-load: $(STAMP)
	$(PY) -m pip install --quiet -r bench/requirements-load.txt
	$(PY) -m bench.load_test $(BENCH_ARGS)

## screenshots: save the public pages' screenshots shown in the README in docs/screenshots/
screenshots: $(STAMP)
	SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest tests/test_browser_pages.py -k screenshot -q

## sample: write the sample city's source files again (same bytes every time)
sample: $(STAMP)
	$(PY) -m etl.sample

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules bench/node_modules
