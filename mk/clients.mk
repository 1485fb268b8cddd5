# The example user programs of both clients (examples/clients/), type-checked as their users' programs would be: no
# cast, no isinstance after a call. tests/test_client_resource.py and ts-test run them against a simulator.
.PHONY: client-examples

client-examples: ts-examples $(VENV_STAMP) ## Type-check the example user programs: mypy --strict (Python), strict tsc (TypeScript)
	$(BIN)/mypy --strict --config-file= examples/clients/press_keys.py
