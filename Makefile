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

# Two pytest processes: the local cloud patches moto process-wide, so the suites that start their
# own moto (in-process mocks, the bare SageMaker platform) run before any local cloud exists.
test: lint
	$(BIN)/pytest tests/unit tests/integration --ignore=tests/integration/local_cloud
	$(BIN)/pytest tests/integration/local_cloud tests/e2e

demo: setup
	$(BIN)/tunepilot local run examples/xgboost-breast-cancer.yaml --summary .tunepilot/demo-summary.json

bench: setup
	$(BIN)/python benchmarks/control_overhead.py

clean:
	rm -rf $(VENV) .aws-sam .tunepilot .pytest_cache .mypy_cache .ruff_cache
