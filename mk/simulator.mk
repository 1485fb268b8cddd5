# Simulator (tryvox_sim/): its own tests and a short profile. `make serve` is in the Makefile.
.PHONY: sim-test sim-profile

SIM_TESTS := tests/test_domain.py tests/test_http.py tests/test_control.py tests/test_inprocess.py \
	tests/test_cli.py tests/test_concurrency.py

sim-test: $(VENV_STAMP) ## Run the simulator's tests (domain, HTTP, control plane, CLI, concurrency)
	$(PY) -m pytest -q -p no:cacheprovider $(SIM_TESTS)

sim-profile: $(VENV_STAMP) ## Profile the served simulator under the bench load generator (cProfile, top functions)
	$(PY) -m bench.profile
