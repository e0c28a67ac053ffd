# slackgate — every command a developer or CI needs. `make help` lists them.
# The virtual environment is rebuilt only when pyproject.toml (the one place Python
# versions are pinned) changes, so re-running is fast; package-lock.json pins the CDK CLI.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help demo local-relay test lint bench check-python check-node setup clean

help: ## list the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

demo: check-node $(STAMP) ## bake a team repo, synthesize both stacks, deliver one message and block one (all local)
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(BIN)/python scripts/demo.py

test: check-node $(STAMP) lint ## set up, lint and run every test
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(BIN)/python -m pytest -n auto

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
	  echo "slackgate needs Python 3.11 or newer as '$(PYTHON)'."; \
	  echo "Install it (e.g. 'apt-get install python3.11 python3.11-venv') or run 'make PYTHON=/path/to/python3.11 ...'."; \
	  exit 1; }

check-node:
	@command -v node >/dev/null 2>&1 || { \
	  echo "slackgate needs Node.js 18 or newer (the AWS CDK runs on it); 'node' was not found on PATH."; \
	  echo "Install it (e.g. 'apt-get install nodejs npm') and run the command again."; \
	  exit 1; }
	@node -e 'process.exit(parseInt(process.versions.node) >= 18 ? 0 : 1)' || { \
	  echo "slackgate needs Node.js 18 or newer; found $$(node --version)."; exit 1; }

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory check-python
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

setup: $(STAMP) ## create .venv and install the pinned dependencies

lint: $(STAMP) ## ruff over the whole repository
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

local-relay: $(STAMP) ## the local relay on 127.0.0.1:8787 with the example registry and keys, and a Slack stand-in
	$(BIN)/python scripts/local_relay.py

bench: check-node $(STAMP) ## the benchmarks: relay speed and size, synthesis time, bake time
	$(BIN)/python bench/relay_bench.py
	$(BIN)/python bench/synth_time.py
	$(BIN)/python bench/bake_time.py

clean: ## remove build output (keeps .venv and node_modules)
	rm -rf build shared_gateway/cdk.out .pytest_cache .hypothesis

include Makefile.gateway
