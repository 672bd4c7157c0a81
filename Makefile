# One command per habit. Every target sets up the virtualenv first, so a fresh clone works.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CHECKOV_VERSION := 3.3.30
CHECKOV := .venv-checkov/bin/checkov
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY = 0

.PHONY: setup sdk-setup lint unit test compat demo bench clean

setup: $(STAMP)

$(STAMP): requirements-dev.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt -e .
	touch $@

# The SageMaker SDK's compatibility suite runs in a virtualenv of its own (see requirements-sdk.txt).
SDK_VENV  := .venv-sdk
SDK_STAMP := $(SDK_VENV)/.installed

sdk-setup: $(SDK_STAMP)

$(SDK_STAMP): requirements-dev.txt requirements-sdk.txt pyproject.toml
	$(PYTHON) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/python -m pip install -q --upgrade pip
	$(SDK_VENV)/bin/python -m pip install -q -r requirements-dev.txt -e .
	$(SDK_VENV)/bin/python -m pip install -q -r requirements-sdk.txt
	$(SDK_VENV)/bin/python -m pip check
	touch $@

lint: setup $(CHECKOV)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/sam validate --lint --template template.yaml
	$(BIN)/cfn-lint template.yaml
	$(CHECKOV) -f template.yaml --framework cloudformation --compact --quiet --skip-download

# checkov in its own virtualenv: its pins (boto3, pydantic, ...) must not move the project's.
$(CHECKOV):
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install -q --upgrade pip
	.venv-checkov/bin/python -m pip install -q "checkov==$(CHECKOV_VERSION)"

# Two pytest processes: the local cloud patches moto process-wide, so the suites that start their
# own moto (in-process mocks, the bare SageMaker platform) run before any local cloud exists.
test: lint
	$(BIN)/pytest tests/unit tests/integration --ignore=tests/integration/local_cloud
	$(BIN)/pytest tests/integration/local_cloud tests/e2e
	$(MAKE) compat

# The SageMaker Python SDK v2's own tuner workflow, unchanged, against a local cloud (own process, own venv).
compat: sdk-setup
	$(SDK_VENV)/bin/pytest tests/compat

demo: setup
	$(BIN)/tunepilot local run examples/xgboost-breast-cancer.yaml --summary .tunepilot/demo-summary.json

bench: setup
	$(BIN)/python benchmarks/control_overhead.py

clean:
	rm -rf $(VENV) $(SDK_VENV) .venv-checkov .aws-sam .tunepilot .pytest_cache .mypy_cache .ruff_cache
