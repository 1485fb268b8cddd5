# Contract suite: the package tryvox-contract (contract_tests/, its command `tryvox-contract`): schemathesis
# (schemathesis.toml) + behaviour tests against the simulator (default) or a deployment (BASE_URL=… with
# TVX_API_TOKEN, TVX_AUTH_ID, TVX_CALL_UUID). Each run checks the target first and writes reports/coverage.{json,md}
# and reports/contract.html. `make contract` is a thin call of the command: its variables become its flags.
.PHONY: contract contract-test contract-sim contract-pytest drift

# The drift proofs: each starts simulators, proxies and suite runs of its own (free ports, tmp_path), so pytest-xdist
# runs them side by side. A new slow file of such proofs joins them here (`make unit` leaves these out); the
# slowest tests first, so none starts last and runs on alone.
DRIFT_TESTS := tests/test_contract_runner.py tests/test_deployment_runs.py tests/test_previous_contract.py \
	tests/test_drift.py

# MIN_COVERAGE, TVX_RATE_LIMIT and the other TVX_* variables reach the command through the environment.
CONTRACT_FLAGS = $(if $(BASE_URL),--base-url '$(BASE_URL)') $(if $(SEED),--seed '$(SEED)') \
	$(if $(MAX_EXAMPLES),--max-examples '$(MAX_EXAMPLES)') $(if $(PHASES),--phases '$(PHASES)') \
	$(if $(REPORT_DIR),--report-dir '$(REPORT_DIR)') $(if $(SPEC_FILE),--spec '$(SPEC_FILE)') \
	$(if $(SPEC_REF),--spec-ref '$(SPEC_REF)')

contract: $(VENV_STAMP) ## Run the contract suite (tryvox-contract) and gate its coverage (BASE_URL=…, MIN_COVERAGE=…, TVX_RATE_LIMIT=…, SEED=…, SPEC_REF=v1.1.0)
	@$(BIN)/tryvox-contract $(strip $(CONTRACT_FLAGS))

contract-pytest: $(VENV_STAMP) ## Run the same contract suite through pytest (pytest contract_tests)
	$(PY) -m pytest -q -p no:cacheprovider contract_tests

drift: $(VENV_STAMP) ## Prove the suite fails on a drifting API; preflight, pace, 429s, gate, live calls, the previous contract
	$(CLEAN_ENV) $(PY) -m pytest -q -p no:cacheprovider $(PYTEST_AT_ONCE) $(DRIFT_TESTS)

# make test's run of the suite: the whole of it, with a fixed seed, against a simulator through the validating proxy
# (tests/test_proxy_contract.py), so one run proves both that the suite passes and that the proxy finds no violation
# by the API in any of its exchanges; -rP prints the suite's own output (its reports and result) in the log.
contract-sim: $(VENV_STAMP) ## The whole contract suite against the simulator through the proxy, fixed seed (SEED=…; for make test)
	$(CLEAN_ENV) $(PY) -m pytest -q -p no:cacheprovider -rP tests/test_proxy_contract.py

contract-test: contract-sim drift ## The two above: contract-sim and drift (make -j contract-test runs them at once)
