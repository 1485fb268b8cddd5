# Contract suite: schemathesis (schemathesis.toml) + behaviour tests (contract_tests/) against the
# simulator (default) or a deployment (BASE_URL=… with TVX_API_TOKEN, TVX_AUTH_ID, TVX_CALL_UUID).
# Each run checks the target first and writes reports/coverage.{json,md} and reports/contract.html.
.PHONY: contract contract-test contract-pytest drift

contract: $(VENV_STAMP) ## Run the contract suite and gate its coverage (BASE_URL=…, MIN_COVERAGE=…, TVX_RATE_LIMIT=…, SEED=…)
	@$(if $(BASE_URL),TVX_BASE_URL='$(BASE_URL)') $(PY) -m contract_tests.runner

contract-pytest: $(VENV_STAMP) ## Run the same contract suite through pytest (pytest contract_tests)
	$(PY) -m pytest -q -p no:cacheprovider contract_tests

drift: $(VENV_STAMP) ## Prove the suite fails on a drifting API; preflight, pace, 429s, gate (fault-injecting proxy)
	$(PY) -m pytest -q -p no:cacheprovider tests/test_drift.py tests/test_contract_runner.py

contract-test: $(VENV_STAMP) ## Contract suite against the simulator, then the drift proofs and the suite through the proxy (for make test)
	@$(CLEAN_ENV) SEED=$${SEED:-20261126} $(PY) -m contract_tests.runner
	$(CLEAN_ENV) $(PY) -m pytest -q -p no:cacheprovider tests/test_drift.py tests/test_contract_runner.py \
	  tests/test_proxy_contract.py
