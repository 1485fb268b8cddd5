# Rendered docs and spec governance (docs, docs-test, breaking, version-check, governance-test).

DOCS_HTML := build/docs/index.html
DOCS_TEMPLATE := docs/template.hbs
BASE ?= HEAD
# Redocly would phone home from the CLI and from the page; the docs must work with no network.
REDOCLY_ENV := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: docs docs-test chromium breaking version-check governance-test

docs: $(DOCS_HTML) ## Render the spec into one offline HTML page: build/docs/index.html

$(DOCS_HTML): $(SPEC) $(DOCS_TEMPLATE) $(NODE_STAMP)
	@mkdir -p $(@D)
	$(REDOCLY_ENV) $(NPX)/redocly build-docs $(SPEC) --inlineBundle --template $(DOCS_TEMPLATE) --output $@.tmp
	@if grep -qiE '<(script|link)[^>]*(src|href)=["'\'']?(https?:)?//' $@.tmp; then \
	  echo "$@ loads a script or style from the network (expected everything inlined)"; rm -f $@.tmp; exit 1; fi
	@mv $@.tmp $@
	@echo "docs: $@ ($$(du -k $@ | cut -f1) KiB, no external scripts or styles)"

chromium: ## Install headless Chromium (Debian package) when it is missing
	@command -v chromium || command -v chromium-browser || command -v google-chrome || { $(SUDO) apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends chromium; }

docs-test: docs chromium $(VENV_STAMP) ## Check the rendered docs in headless Chromium (screenshots in reports/)
	TRYVOX_REQUIRE_BROWSER=1 $(PY) -m pytest -q tests/test_docs.py

breaking: $(VENV_STAMP) ## Spec gate vs BASE=<git ref>: report changes; fail on breaking ones unless major rose
	$(PY) -m tools.version_check --base $(BASE) --spec $(SPEC) --verbose

version-check: $(VENV_STAMP) ## The same gate with a one-line summary (changed spec => higher info.version)
	$(PY) -m tools.version_check --base $(BASE) --spec $(SPEC)

governance-test: $(VENV_STAMP) ## Test the breaking-change comparator and the version gate
	$(PY) -m pytest -q tests/test_breaking.py tests/test_version_check.py
