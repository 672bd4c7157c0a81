# One command per habit. Every target sets up the virtualenv first, so a fresh clone works.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY = 0

.PHONY: setup lint unit test demo bench clean

setup: $(STAMP)

$(STAMP): requirements-dev.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt -e .
	touch $@

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/sam validate --lint --template template.yaml
	$(BIN)/cfn-lint template.yaml

test: lint
	$(BIN)/pytest

demo: setup
	$(BIN)/tunepilot local run examples/xgboost-breast-cancer.yaml --summary .tunepilot/demo-summary.json

bench: setup
	$(BIN)/python benchmarks/control_overhead.py

clean:
	rm -rf $(VENV) .aws-sam .tunepilot .pytest_cache .mypy_cache .ruff_cache
