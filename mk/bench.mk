# Benchmark: the simulator beside Prism under the same loopback load (bench/run.py writes bench/results.md).
.PHONY: bench bench-smoke soak
BENCH_SECONDS ?= 4
BENCH_ACTIONS ?= 1000000
SOAK_SECONDS ?= 180

bench: $(VENV_STAMP) $(NODE_STAMP) ## Benchmark sim vs Prism: req/s, p50/p99, launch, RSS, make contract (BENCH_SECONDS=4)
	BENCH_SECONDS=$(BENCH_SECONDS) BENCH_ACTIONS=$(BENCH_ACTIONS) $(PY) -m bench.run

bench-smoke: $(VENV_STAMP) ## Run the bench harness end to end with tiny bounds (part of make test)
	$(PY) -m pytest -q -p no:cacheprovider tests/test_bench_smoke.py

soak: $(VENV_STAMP) ## Soak the served simulator: valid + bad traffic, churn, clock at once; RSS, 5xx (SOAK_SECONDS=180)
	$(PY) -m bench.soak --seconds $(SOAK_SECONDS)
