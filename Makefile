# The two commands: `make run` and `make test`. Both create .venv and install what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint format install bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/tsunagu db upgrade
	$(BIN)/tsunagu demo load --if-empty
	$(BIN)/tsunagu serve --host 127.0.0.1 --port 5000

# pytest: three workers on two cores; with two, a quarter of the time both waited (for a load
# window, a background job, the browser) and a core stood idle (tests/support/scheduling.py).
test: $(STAMP)
	bash scripts/system_deps.sh
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m pytest -n 3 --dist loadfile --no-loadscope-reorder -q --durations=15

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/search.py

clean:
	rm -rf $(VENV) data .pytest_cache
