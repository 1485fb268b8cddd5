# The spec as every tool that reads it sees it (docs/interop.md): `make interop` runs each tool, at its pinned version,
# against the specs and, where it talks to an API, against the simulator (tools/interop.py; several at once), and
# rewrites docs/interop.md when its table changed. A tool that disagrees fails it with its own words.
.PHONY: interop lint-forms

ARAZZO := openapi/call-actions.arazzo.yaml
# typescript.mk's TS_STAMP, by its value: this file is read first. @hey-api/openapi-ts is the SDK's.
SDK_TOOLS := typescript-sdk/node_modules/.installed.stamp

interop: $(VENV_STAMP) $(NODE_STAMP) $(SDK_TOOLS) ## Run every tool that reads the specs (pinned) against them and the simulator; write docs/interop.md
	$(CLEAN_ENV) $(PY) -m tools.interop --write docs/interop.md

# `make lint` also holds the simulator's spec to the portable forms (a $ref stands alone: .spectral.yaml's rule
# tryvox-ref-alone, alone, since the API's style and OWASP rules are for the API's spec) and lints the Arazzo file.
lint: lint-forms
lint-forms: $(NODE_STAMP)
	$(NPX)/spectral lint --fail-severity=warn --ruleset openapi/forms.spectral.yaml $(SIM_SPEC) $(ARAZZO)

# The contract run also runs the Arazzo workflows, with the Redocly CLI of node_modules (tryvox_contract/workflows.py).
contract contract-sim: $(NODE_STAMP)
