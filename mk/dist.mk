# Distributions and the container image: tryvox-sim (the root pyproject.toml, hatchling) and
# tryvox-call-actions-client (generated/, pdm-backend), built with the pinned backends of .venv.
.PHONY: dist dist-test image image-test

DIST_DIR := dist

dist: $(VENV_STAMP) ## Build sdist + wheel of tryvox-sim and of the generated client into dist/; twine check --strict
	rm -rf $(DIST_DIR)
	$(PY) -m build --no-isolation --quiet --outdir $(DIST_DIR) .
	$(PY) -m build --no-isolation --quiet --outdir $(DIST_DIR) $(CLIENT_DIR)
	$(BIN)/twine check --strict $(DIST_DIR)/*

dist-test: dist ## Install both wheels in a fresh venv outside the repo: serve + six operations, a foreign pytest file
	$(CLEAN_ENV) TRYVOX_DIST_DIR=$(CURDIR)/$(DIST_DIR) $(PY) -m pytest -q -p no:cacheprovider tests/test_dist.py
