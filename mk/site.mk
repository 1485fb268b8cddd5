# The docs site (site, site-build, site-test): Material for MkDocs over docs/, configured by mkdocs.yml at the root.

SITE_DIR := build/site
# iframe-worker (MIT), pinned in package.json: what lets search run from file:// (mkdocs.yml, extra.polyfills).
SHIM := node_modules/iframe-worker/shim/index.js
# Material prints a notice about MkDocs 2 on every build; the move it points to (Zensical) is planned in DESIGN.md.
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs

.PHONY: site site-build site-test

site: $(VENV_STAMP) ## Build the docs site into build/site/: reference pages written from their sources, mkdocs --strict, the API page in it
	$(PY) -m tools.reference docs/reference
	$(PY) -m tools.checks --readme docs/contributing.md
	@$(MAKE) --no-print-directory site-build

# The committed pages as they are, into build/site/ only: site-test runs it beside the other checks.
site-build: $(VENV_STAMP) $(NODE_STAMP) docs
	$(MKDOCS) build --strict --site-dir "$(CURDIR)/$(SITE_DIR)"
	@cp $(SHIM) $(SITE_DIR)/assets/javascripts/iframe-worker-shim.js
	@cp node_modules/iframe-worker/LICENSE $(SITE_DIR)/assets/javascripts/iframe-worker-shim.LICENSE
	@mkdir -p $(SITE_DIR)/api && cp $(DOCS_HTML) $(SITE_DIR)/api/index.html
	@echo "site: $(SITE_DIR)/index.html ($$(find $(SITE_DIR) -name '*.html' | wc -l) pages, the API page at api/index.html)"

site-test: chromium curl $(VENV_STAMP) docs ## Check the site: reference pages not stale, links, anchors, no other hosts, Chromium from a file and a server, search, the API console; snippets run
	$(PY) -m tools.reference --check docs/reference
	$(CLEAN_ENV) TRYVOX_REQUIRE_BROWSER=1 $(PY) -m pytest -q -p no:cacheprovider tests/test_site.py
