# Serverless job scheduler. `make help` lists the targets.
# The two commands a new user needs: `make run` (local stack) and `make test`.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
TOOLS := .venv-tools
PY := $(VENV)/bin/python
# The venv step installs the project (`pip install -e .`), so nothing needs PYTHONPATH.
# It stays for checkouts that share one venv: each still imports its own files first.
export PYTHONPATH := $(CURDIR)/layers/common:$(CURDIR)/functions/api:$(CURDIR)/functions/executor:$(CURDIR)/functions/reconciler:$(CURDIR)
# The tests and the local stack never need real credentials.
export AWS_DEFAULT_REGION ?= us-east-1

.DEFAULT_GOAL := help
.PHONY: help run test lint typecheck template-check pytest browser-deps bench bench-quick redrive invoke build validate lock clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt layers/common/requirements.txt pyproject.toml cli/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@# The project itself, editable: `python -m local` works from any shell, no PYTHONPATH.
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@# The `jobsched` command (cli/), editable: its dependencies are pinned above.
	$(PY) -m pip install --quiet --no-deps -e ./cli
	touch $@

$(TOOLS)/.installed: requirements-tools.txt
	test -d $(TOOLS) || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet -r requirements-tools.txt
	touch $@

run: $(VENV)/.installed ## Start the local stack (moto, HTTP API on :3000, Lambda API on :3001, scheduler)
	$(PY) -m local $(ARGS)

test: lint typecheck template-check pytest ## Lint, type-check, check the template and run every test

lint: $(VENV)/.installed ## ruff
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed ## mypy (strict)
	$(VENV)/bin/mypy layers/common functions local tests bench cli ops

template-check: $(VENV)/.installed $(TOOLS)/.installed ## SAM transform, sam validate --lint, cfn-lint and checkov on template.yaml (offline, no credentials)
	@# `sam validate` without lint runs the real SAM transform (cfn-lint only checks SAM schemas); samconfig.toml
	@# turns lint on, so this step names an environment samconfig.toml does not define. Fake keys: nothing is called.
	AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline AWS_SESSION_TOKEN= SAM_CLI_TELEMETRY=0 $(TOOLS)/bin/sam validate --config-env sam-transform-only --template template.yaml --region us-east-1
	AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline AWS_SESSION_TOKEN= SAM_CLI_TELEMETRY=0 $(TOOLS)/bin/sam validate --lint --template template.yaml --region us-east-1
	$(VENV)/bin/cfn-lint template.yaml
	$(TOOLS)/bin/checkov --file template.yaml --config-file .checkov.yaml

pytest: $(VENV)/.installed browser-deps ## pytest: unit, integration (moto), e2e (local stack over HTTP) and browser (console in headless Chromium)
	$(VENV)/bin/pytest -n 2 --dist loadfile

# The browser tests drive Debian's chromium through Playwright (pinned in
# requirements-dev.txt, which brings no browser of its own). Without root or sudo the
# install is skipped with a note, and the browser tests skip (outside CI, where they fail).
browser-deps: ## Install headless Chromium for the browser tests when it is missing (apt-get)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	  else echo "browser-deps: chromium is missing and apt-get needs root; the browser tests will skip"; exit 0; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

bench: $(VENV)/.installed ## Benchmarks; figures to stdout and bench/results.json
	$(PY) -m bench

bench-quick: $(VENV)/.installed ## Every benchmark at a small scale (CI): must run, figures not judged
	BENCH_QUICK=1 $(PY) -m bench

redrive: $(VENV)/.installed ## Re-deliver the DLQ to the executor; reports ran/duplicate/failed again: make redrive STACK=name
	$(PY) -m ops.redrive --queue-url "$$(aws cloudformation describe-stacks --stack-name $(STACK) --query "Stacks[0].Outputs[?OutputKey=='DeadLetterQueueUrl'].OutputValue" --output text)" \
		--function "$$(aws cloudformation describe-stacks --stack-name $(STACK) --query "Stacks[0].Outputs[?OutputKey=='ExecutorFunctionArn'].OutputValue" --output text)"

invoke: $(VENV)/.installed ## Run one function with one event against the local stack: make invoke FN=ApiFunction EVENT=events/api-create.json (SCHEDULE=sch_... for the other samples)
	$(PY) -m local.invoke $(FN) $(EVENT) $(if $(SCHEDULE),--schedule-id $(SCHEDULE)) $(if $(EXECUTION),--execution-id $(EXECUTION))

build: $(TOOLS)/.installed ## sam build for arm64/python3.13 (needs python3.13 on PATH; pyenv: PYENV_VERSION=3.13.0)
	PYENV_VERSION=$${PYENV_VERSION:-3.13.0} SAM_CLI_TELEMETRY=0 $(TOOLS)/bin/sam build --template template.yaml
	@du -sh .aws-sam/build/CommonLayer .aws-sam/build/ApiFunction .aws-sam/build/ExecutorFunction

validate: $(TOOLS)/.installed ## sam validate --lint (offline, no credentials)
	AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline AWS_SESSION_TOKEN= SAM_CLI_TELEMETRY=0 $(TOOLS)/bin/sam validate --lint --template template.yaml --region us-east-1

lock: $(VENV)/.installed ## Re-pin requirements-dev.txt from the installed venv
	$(VENV)/bin/pip freeze --exclude-editable > requirements-dev.txt

clean: ## Remove venvs, caches and build output
	rm -rf $(VENV) $(TOOLS) .aws-sam .mypy_cache .ruff_cache .pytest_cache .hypothesis
