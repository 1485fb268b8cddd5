# tryvox Call Actions toolkit. Every target bootstraps what it needs (.venv, node_modules) itself.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
SPEC := openapi/call-actions.yaml
SIM_SPEC := openapi/simulator.yaml
CLIENT_DIR := generated
NPX := node_modules/.bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
# pytest caches the modules of its plugins it rewrites (schemathesis: about 270) only where bytecode may be written;
# otherwise every pytest process (xdist workers, the drift proofs' own runs) compiles them again, about 1 s each.
unexport PYTHONDONTWRITEBYTECODE
# Tests start their own simulators: export lines pasted into the shell must not steer them.
CLEAN_ENV := env -u TVX_BASE_URL -u TVX_AUTH_ID -u TVX_API_TOKEN -u TVX_CALL_UUID -u TVX_CONTROL_URL -u TVX_SIM_PUBLIC_URL

VENV_STAMP := $(VENV)/.installed.stamp
NODE_STAMP := node_modules/.installed.stamp

.PHONY: help venv node lint spec-test client check-client serve test unit contract docs breaking bench clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# generated/ and contract_tests/ are installed editable: regenerating the client or editing the suite needs no
# reinstall, and the suite's command, tryvox-contract, is in .venv/bin.
CONTRACT_DIR := contract_tests
$(VENV_STAMP): requirements.lock pyproject.toml $(CONTRACT_DIR)/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . -e $(CLIENT_DIR) \
	  -e $(CONTRACT_DIR)
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

venv: $(VENV_STAMP) ## Create .venv with the pinned Python packages

node: $(NODE_STAMP) ## Install the pinned npm tools (Redocly, Spectral, Prism)

lint: $(VENV_STAMP) $(NODE_STAMP) ## Lint the specs (openapi-spec-validator, Redocly, Spectral+OWASP) and the Python code (ruff, mypy, import-linter's layers)
	$(BIN)/openapi-spec-validator $(SPEC) $(wildcard $(SIM_SPEC))
	$(NPX)/redocly lint --format=stylish $(SPEC) $(wildcard $(SIM_SPEC))
	$(NPX)/spectral lint --fail-severity=warn $(SPEC)
	$(BIN)/ruff check tryvox_sim tests contract_tests tools bench
	$(BIN)/ruff format --check tryvox_sim tests contract_tests tools bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

spec-test: $(VENV_STAMP) ## Check the spec's examples against its schemas and against the docs
	$(PY) -m pytest -q tests/test_spec.py

client: $(VENV_STAMP) ## Regenerate the attrs/httpx client into generated/
	$(BIN)/openapi-python-client generate --path $(SPEC) --config openapi/client-config.yaml \
	  --custom-template-path openapi/templates --meta pdm --output-path $(CLIENT_DIR) --overwrite --fail-on-warning

check-client: client ## Fail if the committed client differs from a fresh generation
	@git diff --exit-code --stat -- $(CLIENT_DIR) || { echo "generated/ is stale: run 'make client' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- $(CLIENT_DIR))" || { git status --porcelain -- $(CLIENT_DIR); echo "generated/ has untracked changes: run 'make client' and commit"; exit 1; }
	@echo "generated/ is up to date with $(SPEC)"

serve: $(VENV_STAMP) docs ## Run the simulator on 127.0.0.1:4010 (PORT=… or TVX_BASE_URL=… to move it; docs at /docs)
	$(BIN)/tryvox-sim serve

# pytest-xdist: a run's tests spread over one worker per CPU, each taking the next test when it is free.
PYTEST_AT_ONCE := -n auto --dist worksteal
# Files that run in another target of `make test` (each test runs once there): the drift proofs in `drift`, the
# browser checks and code samples in docs-test, the installed distributions (and the GitHub Action using them) in
# dist-test.
NOT_UNIT = $(DRIFT_TESTS) tests/test_docs_samples.py tests/test_dist.py tests/test_action.py

# docs first: tests/test_docs.py reads the page, and its workers must not all build it at once.
unit: $(VENV_STAMP) docs ## Run the unit tests (tests/: spec, client, simulator, governance, bench smoke)
	$(CLEAN_ENV) $(PY) -m pytest -q -p no:cacheprovider $(PYTEST_AT_ONCE) tests -m "not browser" \
	  $(addprefix --ignore=,$(NOT_UNIT))

# `make test` runs TEST_CHECKS at once (tools/checks.py; TEST_JOBS=n runs at most n at a time), each into
# build/checks/<target>.log, and ends with one summary, failures first. An area adds an independent check with
# `TEST_CHECKS += <target>` in its mk/ file. Checks run side by side: each binds 127.0.0.1 port 0 and writes only
# to its own temporary or build/<name>/ directory. What several of them read is made first (TEST_SETUP); a check
# that rewrites such files (check-client regenerates generated/, which the tests import) runs, alone, before the
# others (TEST_FIRST).
TEST_FIRST := check-client
TEST_CHECKS := lint unit
TEST_SETUP = $(VENV_STAMP) $(NODE_STAMP) docs
TEST_JOBS ?=

test: ## Everything CI runs: TEST_FIRST, then TEST_CHECKS all at once; one summary at the end, failures first
	@$(MAKE) --no-print-directory -j --output-sync=target $(TEST_SETUP)
	@$(PY) -m tools.checks --make "$(MAKE_COMMAND)" $(if $(TEST_JOBS),--jobs $(TEST_JOBS)) \
	  $(addprefix --first ,$(TEST_FIRST)) $(TEST_CHECKS)

# Each area adds its targets in mk/<area>.mk (simulator, contract, docs, bench, dist).
include $(wildcard mk/*.mk)

clean: ## Remove the virtualenv, node_modules and build outputs
	rm -rf $(VENV) node_modules build dist reports .pytest_cache .hypothesis
