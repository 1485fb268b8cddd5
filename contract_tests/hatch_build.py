"""Build hook of tryvox-contract: the spec's Arazzo workflows travel in the package, so an installed
`tryvox-contract` runs them too (tryvox_contract/workflows.py).

The tree keeps one copy, openapi/call-actions.arazzo.yaml beside the specs: a build from the checkout copies it into
tryvox_contract/ (the sdist, and a wheel built straight from the checkout, as pip does); a wheel built from the
sdist finds it there already. An editable install takes nothing: it reads the checkout itself.
"""

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ARAZZO = "call-actions.arazzo.yaml"


class PackagedFiles(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        source = Path(self.root).parent / "openapi" / ARAZZO
        if version != "editable" and source.is_file():
            build_data["force_include"][str(source)] = f"tryvox_contract/{ARAZZO}"
