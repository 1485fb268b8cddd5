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
# uv installs the lock (every package pinned, so --no-deps): the same wheels as pip, in about 4 s instead of 40 on a
# fresh machine, which is most of what `make test` spends before its checks start. It is pinned in the lock too,
# and the venv's pip installs it first. It trusts the system's certificates, as pip does (PIP_CERT), so a registry
# behind a company proxy works for both.
UV_PIN = $(shell grep -m1 '^uv==' requirements.lock)
UV := $(BIN)/uv pip install --quiet --system-certs --python $(PY)
$(VENV_STAMP): requirements.lock pyproject.toml $(CONTRACT_DIR)/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check '$(UV_PIN)'
	$(UV) --no-deps -r requirements.lock
	$(UV) --no-deps --no-build-isolation -e . -e $(CLIENT_DIR) -e $(CONTRACT_DIR)
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

# Both clients' generation, written once: `make client` runs it on the checkout ($(1) = .), `make check-client` on
# build/check-client/ and then compares. Each output goes to its own path under $(1). openapi-python-client runs the
# post-hooks of openapi/client-config.yaml in its output folder: they name the checkout's files through TRYVOX_REPO;
# typescript-sdk/openapi-ts.config.ts writes to TRYVOX_TS_OUTPUT (and the control client of
# @tryvox/call-actions/testing beside it, to src/testing/generated/).
define generate-clients
TRYVOX_REPO="$(CURDIR)" $(BIN)/openapi-python-client generate --path $(SPEC) --config openapi/client-config.yaml \
  --custom-template-path openapi/templates --meta pdm --output-path "$(1)/$(CLIENT_DIR)" --overwrite --fail-on-warning
cd $(TS_DIR) && TRYVOX_TS_OUTPUT="$(CURDIR)/$(1)/$(TS_GENERATED)" node_modules/.bin/openapi-ts \
  --file openapi-ts.config.ts --silent --no-log-file
$(PY) tools/client_facts.py $(SPEC) --typescript "$(1)/$(TS_GENERATED)"
cp LICENSE "$(1)/$(TS_DIR)/LICENSE"
endef
# What the generation writes, each path the same under the checkout and under build/check-client/.
CLIENT_OUTPUTS = $(CLIENT_DIR) $(TS_GENERATED) $(TS_TESTING_GENERATED) $(TS_DIR)/LICENSE
CHECK_CLIENT_DIR := build/check-client

client: $(VENV_STAMP) $(TS_STAMP) ## Regenerate both clients: generated/ (attrs/httpx) and typescript-sdk/src/generated/ (+ src/testing/generated/)
	$(call generate-clients,.)

# Writes nothing outside build/check-client/, so it runs beside the checks that read generated/.
check-client: $(VENV_STAMP) $(TS_STAMP) ## Fail if a committed client differs from a fresh generation (made in build/check-client/)
	rm -rf $(CHECK_CLIENT_DIR) && mkdir -p $(CHECK_CLIENT_DIR)
	$(call generate-clients,$(CHECK_CLIENT_DIR))
	$(PY) -m tools.check_client $(CHECK_CLIENT_DIR) $(CLIENT_OUTPUTS)

serve: $(VENV_STAMP) docs ## Run the simulator on 127.0.0.1:4010 (PORT=… or TVX_BASE_URL=… to move it; docs at /docs)
	$(BIN)/tryvox-sim serve

# pytest-xdist: a run's tests spread over one worker per CPU, each taking the next test when it is free.
PYTEST_AT_ONCE := -n auto --dist worksteal
# Files that run in another target of `make test` (each test runs once there): the drift proofs in `drift`, the
# suite's full run in contract-sim, the browser checks and code samples in docs-test, the installed distributions
# (and the GitHub Action using them) in dist-test, the built site in site-test.
NOT_UNIT = $(DRIFT_TESTS) tests/test_proxy_contract.py tests/test_docs_samples.py tests/test_dist.py \
	tests/test_action.py tests/test_site.py

# docs first: tests/test_docs.py reads the page, and its workers must not all build it at once. The SDK's npm tools:
# tests/test_check_client.py runs `make check-client`, which runs hey-api.
unit: $(VENV_STAMP) $(TS_STAMP) docs ## Run the unit tests (tests/: spec, client, simulator, governance, bench smoke)
	$(CLEAN_ENV) $(PY) -m pytest -q -p no:cacheprovider $(PYTEST_AT_ONCE) tests -m "not browser" \
	  $(addprefix --ignore=,$(NOT_UNIT))

# What `make test` runs, listed here and nowhere else: one line per check, with what it shows. README.md's table of
# them is written from these lines (python -m tools.checks --readme README.md; tests/test_checks.py holds the two
# equal). `make test` makes TEST_SETUP (what several checks read), then runs TEST_FIRST alone, then every check of
# TEST_CHECKS at once (tools/checks.py; TEST_JOBS=n: at most n at a time), each into build/checks/<target>.log, and
# ends with one summary, failures first. Checks run side by side: each binds 127.0.0.1 port 0 and writes only to its
# own temporary or build/<name>/ directory, never into a folder another check reads.
TEST_SETUP = $(VENV_STAMP) $(NODE_STAMP) $(TS_STAMP) docs
# ts-build first: docs-test, dist-test and ts-test all read typescript-sdk/lib/, and each would otherwise compile it
# into that same folder at once; run as a check, a compile error is reported in the summary like any failure.
TEST_FIRST :=
TEST_FIRST += ts-build       # the TypeScript SDK compiles with strict `tsc` (into `typescript-sdk/lib/`)
TEST_CHECKS :=
TEST_CHECKS += lint          # the specs: openapi-spec-validator, Redocly, Spectral + OWASP; the Python code: ruff, mypy, import-linter
TEST_CHECKS += check-client  # both clients generated into `build/check-client/` equal the committed ones, byte for byte
TEST_CHECKS += unit          # `tests/`: spec, clients, simulator, proxy, governance, README, bench smoke (pytest-xdist)
TEST_CHECKS += contract-sim  # the whole contract suite (`tryvox-contract`, a fixed seed) against the simulator through the validating proxy: it passes, the proxy finds no violation by the API
TEST_CHECKS += drift         # drift proofs: the suite fails on a drifting API; preflight, pace, 429s, gate, live calls, the previous contract
TEST_CHECKS += docs-test     # the rendered docs in headless Chromium (sending from each console); every code sample run
TEST_CHECKS += dist-test     # the wheels and npm tarball installed outside the repository and used; action.yml's steps
TEST_CHECKS += ts-test       # the TypeScript SDK's tests (`node --test`) against a simulator they start
TEST_CHECKS += client-examples  # the example user programs of both clients type-checked: `mypy --strict`, strict `tsc`
TEST_CHECKS += interop       # every tool that reads the spec (pinned) agrees with it and with the simulator: docs/interop.md
TEST_CHECKS += site-test     # the docs site built `--strict`: links, anchors, no other hosts; Chromium from a file and a server; snippets run
TEST_CHECKS += examples      # the example apps and their tests: a Starlette service (pytest fixture, coverage), a Node service (`node --test`)
TEST_JOBS ?=

test: ## Everything CI runs: TEST_FIRST, then TEST_CHECKS all at once; one summary at the end, failures first
	@$(MAKE) --no-print-directory -j --output-sync=target $(TEST_SETUP)
	@$(PY) -m tools.checks --make "$(MAKE_COMMAND)" $(if $(TEST_JOBS),--jobs $(TEST_JOBS)) \
	  $(addprefix --first ,$(TEST_FIRST)) $(strip $(TEST_CHECKS))

# Each area adds its targets in mk/<area>.mk (simulator, contract, docs, bench, dist).
include $(wildcard mk/*.mk)

clean: ## Remove the virtualenv, node_modules and build outputs
	rm -rf $(VENV) node_modules build dist reports .pytest_cache .hypothesis
