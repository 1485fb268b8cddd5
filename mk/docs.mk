# Rendered docs and spec governance (docs, docs-test, breaking, version-check, governance-test).

DOCS_HTML := build/docs/index.html
DOCS_TEMPLATE := docs/template.hbs
# The page renders a build-time copy of the spec with x-codeSamples added, and the Redocly config that
# lists their languages; tools/code_samples.py writes both from the spec and docs/samples/*.j2.
DOCS_SAMPLES_SPEC := build/docs/call-actions.samples.json
DOCS_CONFIG := build/docs/redocly.yaml
SAMPLE_TEMPLATES := $(wildcard docs/samples/*.j2)
# The request console under each operation's samples: hand-written, inlined by tools/docs_console.py.
DOCS_CONSOLE := docs/console.js docs/console.css tools/docs_console.py tryvox_sim/sim/seed.py
BASE ?= HEAD
# Redocly would phone home from the CLI and from the page; the docs must work with no network.
REDOCLY_ENV := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: docs docs-test chromium curl breaking version-check governance-test

docs: $(DOCS_HTML) ## Render the spec, with code samples and a request console, into one offline HTML page: build/docs/index.html

$(DOCS_SAMPLES_SPEC) $(DOCS_CONFIG) &: $(SPEC) $(SAMPLE_TEMPLATES) tools/code_samples.py tryvox_sim/sim/docs.py $(VENV_STAMP)
	$(PY) -m tools.code_samples $(SPEC) --output $(DOCS_SAMPLES_SPEC) --config $(DOCS_CONFIG)

$(DOCS_HTML): $(DOCS_SAMPLES_SPEC) $(DOCS_CONFIG) $(DOCS_TEMPLATE) $(DOCS_CONSOLE) $(NODE_STAMP)
	@mkdir -p $(@D)
	$(REDOCLY_ENV) $(NPX)/redocly build-docs $(DOCS_SAMPLES_SPEC) --config $(DOCS_CONFIG) --inlineBundle \
	  --template $(DOCS_TEMPLATE) --output $@.tmp
	$(PY) -m tools.docs_console "$@.tmp" --spec "$(DOCS_SAMPLES_SPEC)"
	@if grep -qiE '<(script|link)[^>]*(src|href)=["'\'']?(https?:)?//' $@.tmp; then \
	  echo "$@ loads a script or style from the network (expected everything inlined)"; rm -f $@.tmp; exit 1; fi
	@mv $@.tmp $@
	@echo "docs: $@ ($$(du -k $@ | cut -f1) KiB, no external scripts or styles)"

chromium: ## Install headless Chromium (Debian package) when it is missing
	@command -v chromium || command -v chromium-browser || command -v google-chrome || { $(SUDO) apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends chromium; }

curl: ## Install curl (Debian package) when it is missing: docs-test runs the docs' curl samples
	@command -v curl || { $(SUDO) apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends curl; }

docs-test: docs chromium curl $(VENV_STAMP) ## Check the rendered docs in headless Chromium (sending from each console too) and run every code sample
	$(CLEAN_ENV) TRYVOX_REQUIRE_BROWSER=1 $(PY) -m pytest -q tests/test_docs.py tests/test_docs_samples.py

breaking: $(VENV_STAMP) ## Spec gate vs BASE=<git ref>: report changes; fail on breaking ones unless major rose
	$(PY) -m tools.version_check --base $(BASE) --spec $(SPEC) --verbose

version-check: $(VENV_STAMP) ## The same gate with a one-line summary (changed spec => higher info.version)
	$(PY) -m tools.version_check --base $(BASE) --spec $(SPEC)

governance-test: $(VENV_STAMP) ## Test the breaking-change comparator and the version gate
	$(PY) -m pytest -q tests/test_breaking.py tests/test_version_check.py
