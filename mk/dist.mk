# Distributions and the container images: tryvox-sim (the root pyproject.toml, hatchling),
# tryvox-call-actions-client (generated/, pdm-backend) and tryvox-contract (contract_tests/, hatchling), built with the
# pinned backends of .venv.
.PHONY: dist dist-test image image-test release-check

DIST_DIR := dist

# The simulator's wheel carries the rendered docs page (hatch_build.py), so its /docs works where it is installed.
dist: $(VENV_STAMP) docs ## Build sdist + wheel of tryvox-sim (with the docs page), the generated client and tryvox-contract, and the TypeScript SDK's npm tarball, into dist/
	rm -rf $(DIST_DIR)
	$(PY) -m build --no-isolation --quiet --outdir $(DIST_DIR) .
	$(PY) -m build --no-isolation --quiet --outdir $(DIST_DIR) $(CLIENT_DIR)
	$(PY) -m build --no-isolation --quiet --outdir $(DIST_DIR) $(CONTRACT_DIR)
	$(BIN)/twine check --strict $(DIST_DIR)/*
	$(MAKE) --no-print-directory ts-dist

dist-test: dist ## Install the three wheels in a fresh venv outside the repo (serve + six operations, a foreign pytest file, tryvox-contract passing and failing, action.yml's steps) and the npm tarball beside typescript
	$(CLEAN_ENV) TRYVOX_DIST_DIR="$(CURDIR)/$(DIST_DIR)" $(PY) -m pytest -q -p no:cacheprovider tests/test_dist.py \
	  tests/test_action.py

# The container images, two targets of one Dockerfile: the simulator (IMAGE) and the contract suite (CONTRACT_IMAGE).
# Their wheels are built here (`pip wheel`, the lock's versions, binary only) and installed in the images with
# --no-index. image-test builds a local Debian base when BASE_IMAGE cannot be pulled.
SIM_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)
CONTRACT_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' $(CONTRACT_DIR)/pyproject.toml | head -1)
IMAGE ?= tryvox-sim:$(SIM_VERSION)
CONTRACT_IMAGE ?= tryvox-contract:$(CONTRACT_VERSION)
BASE_IMAGE ?= python:3.11-slim
WHEELHOUSE := build/image/wheels

image: dist ## Build the container images tryvox-sim:<version> and tryvox-contract:<version> (BASE_IMAGE=…, default python:3.11-slim)
	rm -rf $(WHEELHOUSE)
	$(PY) -m pip wheel --quiet --only-binary=:all: --constraint requirements.lock --wheel-dir $(WHEELHOUSE) \
	  $(DIST_DIR)/tryvox_sim-$(SIM_VERSION)-py3-none-any.whl $(DIST_DIR)/tryvox_contract-$(CONTRACT_VERSION)-py3-none-any.whl \
	  $(DIST_DIR)/tryvox_call_actions_client-*-py3-none-any.whl
	docker build --build-arg BASE_IMAGE=$(BASE_IMAGE) --build-arg CONTRACT_VERSION=$(CONTRACT_VERSION) \
	  --target contract --tag $(CONTRACT_IMAGE) .
	docker build --build-arg BASE_IMAGE=$(BASE_IMAGE) --build-arg SIM_VERSION=$(SIM_VERSION) --target simulator \
	  --tag $(IMAGE) .
	@# Untagged leftovers of earlier builds (the legacy builder also keeps the install stage): removed.
	docker image prune --force --filter label=tryvox-sim.stage=install >/dev/null
	docker image prune --force --filter label=org.opencontainers.image.title=tryvox-sim >/dev/null
	docker image prune --force --filter label=org.opencontainers.image.title=tryvox-contract >/dev/null

image-test: $(VENV_STAMP) ## Build both images, run the simulator's until healthy, run the contract image against it (needs Docker)
	base="$$($(PY) -m tools.image_test base $(BASE_IMAGE))" && $(MAKE) --no-print-directory image BASE_IMAGE="$$base"
	$(CLEAN_ENV) $(PY) -m tools.image_test run $(IMAGE) $(CONTRACT_IMAGE)

# A release (.github/workflows/release.yml, on a tag vX.Y.Z): the tag is tryvox-contract's version, and every package
# version, CHANGELOG section, action.yml and the READMEs' `uses:` lines agree with it (tools/release_check.py; the
# release rules are in CHANGELOG.md). BUILT=1 checks dist/ and both images too (after make dist image).
release-check: $(VENV_STAMP) ## Check that every version, CHANGELOG section and action.yml agree with TAG=vX.Y.Z (BUILT=1: dist/ and the images too)
	@test -n "$(TAG)" || { echo "make release-check needs TAG=vX.Y.Z" >&2; exit 2; }
	$(PY) -m tools.release_check --tag "$(TAG)" $(if $(BUILT),--built --sim-image $(IMAGE) --contract-image $(CONTRACT_IMAGE))
