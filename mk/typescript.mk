# The TypeScript SDK (typescript-sdk/, npm package @tryvox/call-actions): src/generated/ is written by
# @hey-api/openapi-ts (typescript-sdk/openapi-ts.config.ts) and tools/client_facts.py, never by hand; src/*.ts
# is the hand-written layer. Its tools are pinned in its own package-lock.json, installed on first use.
.PHONY: ts-check-client ts-build ts-test ts-dist ts-examples

TS_DIR := typescript-sdk
TS_STAMP := $(TS_DIR)/node_modules/.installed.stamp
TS_BIN := $(TS_DIR)/node_modules/.bin
TS_GENERATED := $(TS_DIR)/src/generated
TS_TESTING_GENERATED := $(TS_DIR)/src/testing/generated
TS_LIB := $(TS_DIR)/lib/index.js
TS_SOURCES = $(TS_DIR)/tsconfig.json $(wildcard $(TS_DIR)/src/*.ts $(TS_DIR)/src/*/*.ts $(TS_DIR)/src/*/*/*.ts \
  $(TS_DIR)/src/*/*/*/*.ts)

$(TS_STAMP): $(TS_DIR)/package.json $(TS_DIR)/package-lock.json
	cd $(TS_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The SDK's generation is part of the Makefile's generate-clients: `make client` and `make check-client` cover both
# clients. The workflow's TypeScript job runs ts-check-client: the same check.
ts-check-client: check-client ## The same as check-client (both clients): fail if the committed TypeScript SDK is stale

ts-build: $(TS_LIB) ## Compile the TypeScript SDK (strict tsc) into typescript-sdk/lib/

# A file, so lib/ is compiled once, not again by each target that reads it; tsc writes lib/ even when it refuses
# the code, so a failed compile leaves none (the next make compiles again). Every tsconfig here is strict and skips
# checking the declarations of node_modules (skipLibCheck, as `tsc --init` writes it): our code is checked, not
# Node's or the DOM's own typings, which cost half of each compile.
$(TS_LIB): $(TS_SOURCES) $(TS_DIR)/tsconfig.json $(TS_STAMP)
	rm -rf $(TS_DIR)/lib
	$(TS_BIN)/tsc -p $(TS_DIR) || { rm -rf $(TS_DIR)/lib; exit 1; }

# Each test file starts its own simulator on a free loopback port; they run in parallel processes.
ts-test: ts-build $(VENV_STAMP) ## Test the TypeScript SDK against a served simulator (node --test): operations, errors, retries, webhooks, READMEs
	rm -rf $(TS_DIR)/build
	$(TS_BIN)/tsc -p $(TS_DIR)/tsconfig.test.json
	cd $(TS_DIR) && $(CLEAN_ENV) TRYVOX_SIM="$(CURDIR)/$(BIN)/tryvox-sim" node --test --test-concurrency=2 build/test/*.test.js

# The example user program (examples/clients/press-keys.ts) against the built package's declarations, strict; part of
# client-examples (mk/clients.mk). ts-test runs it against a simulator.
ts-examples: ts-build ## Type-check the TypeScript example user program with strict tsc
	$(TS_BIN)/tsc -p examples/clients

# Run by `make dist` after the Python distributions (dist.mk): the tarball npm would publish.
ts-dist: ts-build
	@mkdir -p $(DIST_DIR)
	cd $(TS_DIR) && npm pack --silent --pack-destination "$(abspath $(DIST_DIR))"

docs-test: ts-build
