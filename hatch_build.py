"""Build hook of tryvox-sim: what its distributions take from outside tryvox_sim/.

The wheel gets the spec files from openapi/ (the tree keeps one copy of them) and the rendered docs page
from build/docs/ when `make docs` has made it (`make dist` does), so an installed simulator, and its
container image, serve /docs too. The sdist carries that page at its own path, for a wheel built from it.
An editable install takes nothing: it reads the checkout itself.
"""

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SPEC_FILES = ("call-actions.yaml", "simulator.yaml")
DOCS_PAGE = "build/docs/index.html"


class PackagedFiles(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root, copies = Path(self.root), build_data["force_include"]
        docs = root / DOCS_PAGE
        if self.target_name == "sdist" and docs.is_file():
            copies[str(docs)] = DOCS_PAGE  # build/ is git-ignored: hatch would leave it out
        if self.target_name != "wheel" or version != "standard":
            return
        for name in SPEC_FILES:
            copies[str(root / "openapi" / name)] = f"tryvox_sim/openapi/{name}"
        if docs.is_file():
            copies[str(docs)] = "tryvox_sim/openapi/call-actions.html"
