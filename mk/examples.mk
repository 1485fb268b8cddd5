# The example apps (examples/): each a small service with its tests, run here as its README says to run it alone.
# examples/clients/ (the user programs both clients type-check) is client-examples' (mk/clients.mk). Each writes only
# under build/examples/.
.PHONY: examples examples-python examples-typescript
EXAMPLES_BUILD := build/examples

examples: examples-python examples-typescript ## Run the example apps' tests: Python (pytest, the tryvox_sim fixture, coverage), TypeScript (node --test, a served simulator)

# Only the fixture's plugin loaded (the venv's schemathesis and others would cost seconds and add nothing here).
examples-python: $(VENV_STAMP)
	cd examples/python && $(CLEAN_ENV) PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 "$(CURDIR)/$(PY)" -m pytest -q -p no:cacheprovider \
	  -p tryvox_sim.testing.pytest_plugin --tryvox-coverage --tryvox-coverage-dir "$(CURDIR)/$(EXAMPLES_BUILD)/python"

# The built SDK as the service's node_modules/@tryvox/call-actions (a link), as `npm install` would put it.
examples-typescript: ts-build $(VENV_STAMP)
	rm -rf "$(EXAMPLES_BUILD)/typescript" && mkdir -p "$(EXAMPLES_BUILD)/typescript/node_modules/@tryvox"
	ln -s "$(CURDIR)/$(TS_DIR)" "$(EXAMPLES_BUILD)/typescript/node_modules/@tryvox/call-actions"
	cp examples/typescript/package.json "$(EXAMPLES_BUILD)/typescript/"
	$(TS_BIN)/tsc -p examples/typescript
	cd "$(EXAMPLES_BUILD)/typescript" && $(CLEAN_ENV) TRYVOX_SIM="$(CURDIR)/$(BIN)/tryvox-sim" node --test service.test.js
