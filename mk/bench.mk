# Benchmark: the simulator beside Prism, the proxy beside Prism's and both beside this stack's ceiling, under the same
# loopback load (bench/run.py writes bench/results.md). BENCH_BASE=DIR also measures the simulator and the proxy of
# another checkout (an older commit) in the same run: current ÷ base.
.PHONY: bench bench-smoke soak
BENCH_SECONDS ?= 4
BENCH_ACTIONS ?= 1000000
BENCH_BASE ?=
SOAK_SECONDS ?= 180

bench: $(VENV_STAMP) $(NODE_STAMP) ## Benchmark sim vs Prism, proxy vs prism proxy, ceiling; BENCH_BASE=DIR: before/after
	BENCH_SECONDS=$(BENCH_SECONDS) BENCH_ACTIONS=$(BENCH_ACTIONS) $(PY) -m bench.run \
	  $(if $(BENCH_BASE),--baseline-tree $(BENCH_BASE))

bench-smoke: $(VENV_STAMP) ## Run the bench harness end to end with tiny bounds (part of make test)
	$(PY) -m pytest -q -p no:cacheprovider tests/test_bench_smoke.py

soak: $(VENV_STAMP) ## Soak the served simulator: valid + bad traffic, churn, clock at once; RSS, 5xx (SOAK_SECONDS=180)
	$(PY) -m bench.soak --seconds $(SOAK_SECONDS)
