# ldnsim — the two commands a newcomer needs: `make demo` and `make test`.
# Both create .venv and install ldnsim with what they need on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
OUT ?= out
ARGS ?=

.PHONY: demo test lint bench docs clean venv browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

## The main job: a virtual trial (Younger 2013 design) with its HTML report in out/.
demo: $(STAMP)
	mkdir -p $(OUT)
	$(BIN)/ldnsim demo --out $(OUT)

## Debian's chromium for the report's browser test (installed once, when apt is usable).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not installed and apt-get not usable: browser tests will be skipped"; fi; }

## Lint, type check and the whole test suite (what CI runs).
test: $(STAMP) browser
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -q $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

## Benchmarks against libRoadRunner, measured in the same run (not part of CI).
bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)

## Regenerate the parameter tables in docs/ from the data files, then build the site with the API reference
## (mkdocs + mkdocstrings, from the docstrings) into site/.
docs: $(STAMP)
	$(BIN)/ldnsim docs --out docs
	$(BIN)/python -m mkdocs build --strict

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache site
