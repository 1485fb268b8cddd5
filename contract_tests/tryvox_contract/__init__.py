"""tryvox-contract: the contract suite of the tryvox Voice Call Actions API, as a command (`tryvox-contract`).

Everything a run reads travels in this package: the behaviour tests and their conftest, schemathesis.toml,
coverage.toml and pytest.ini, found beside this file wherever it is installed. The spec is the one tryvox-sim
carries (pinned exactly), the file the simulator validates with and the coverage report measures against, unless a
run names another version of it (`--spec FILE`, `--spec-ref REF`: TVX_SPEC, `spec_file()`), to hold a new server to
the contract clients already in the field were built on.
"""

import os
from importlib import metadata
from pathlib import Path

from tryvox_sim.contract.spec import CALL_ACTIONS_SPEC

try:
    __version__ = metadata.version("tryvox-contract")
except metadata.PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "0+unknown"

HERE = Path(__file__).resolve().parent
SPEC = CALL_ACTIONS_SPEC  # the spec this release of the suite carries
SPEC_ENV = "TVX_SPEC"


def spec_file() -> Path:
    """The spec this run tests: TVX_SPEC (set by `--spec` / `--spec-ref`), else the one this release carries."""
    chosen = os.environ.get(SPEC_ENV, "").strip()
    return Path(chosen) if chosen else SPEC


SCHEMATHESIS_CONFIG = HERE / "schemathesis.toml"
PYTEST_CONFIG = HERE / "pytest.ini"
