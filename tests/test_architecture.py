"""tryvox_sim's folders are its layers: import-linter's contracts (pyproject.toml, run by `make lint`) hold the
arrows, ARCHITECTURE.md states the same contracts, an inverted import (type-checking ones too) or a cycle fails the
command `make lint` runs, and no module grows past ~500 lines."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
LINT_IMPORTS = [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"]  # as `make lint` runs it
LAYERS = ("contract", "sim", "wire", "proxy", "testing")


def contracts_in_architecture() -> dict[str, str]:
    """The contracts table of ARCHITECTURE.md: id -> contract."""
    section = (ROOT / "ARCHITECTURE.md").read_text().split("## The contracts that hold the layers", 1)[1]
    rows = re.findall(r"^\| `([a-z-]+)` \| (.+?) \|", section.split("\n## ", 1)[0], re.M)
    return dict(rows)


def test_architecture_states_the_contracts_make_lint_holds():
    assert contracts_in_architecture() == {contract["id"]: contract["name"] for contract in CONFIG["contracts"]}
    [layers] = [contract["layers"] for contract in CONFIG["contracts"] if contract["type"] == "layers"]
    drawn = (ROOT / "ARCHITECTURE.md").read_text().split("```layers", 1)[1].split("```", 1)[0]
    assert [line.strip() for line in drawn.strip().splitlines() if not line.strip().startswith("↓")] == layers


def test_ls_shows_the_layers():
    packages = {p.name for p in (ROOT / "tryvox_sim").iterdir() if (p / "__init__.py").is_file()}
    modules = {p.name for p in (ROOT / "tryvox_sim").glob("*.py")}
    assert packages == set(LAYERS)
    assert modules == {"__init__.py", "cli.py", "_moved.py"}  # the command over the layers, and the old paths


def test_no_module_passes_500_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in (ROOT / "tryvox_sim").rglob("*.py")}
    assert {name: size for name, size in sizes.items() if size > 500} == {}


@pytest.fixture
def tree(tmp_path):
    """A copy of both packages and the project's import-linter configuration, to plant imports in."""
    shutil.copytree(ROOT / "tryvox_sim", tmp_path / "tryvox_sim", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "contract_tests" / "tryvox_contract", tmp_path / "tryvox_contract",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}
    return subprocess.run(LINT_IMPORTS, cwd=tree, env=env, capture_output=True, text=True, timeout=120)


def plant(tree: Path, module: str, line: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + "\n" + line + "\n")


def test_the_tree_keeps_every_contract(tree):
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout
    assert f"Contracts: {len(CONFIG['contracts'])} kept, 0 broken." in result.stdout


PLANTED = {  # id: (module, the import planted at its end, what lint-imports names)
    "contract-imports-sim": (
        "tryvox_sim.contract.spec",
        "from ..sim import world  # noqa",
        "tryvox_sim.contract.spec -> tryvox_sim.sim.world",
    ),
    "type-checking-import": (
        "tryvox_sim.contract.problems",
        "import typing\nif typing.TYPE_CHECKING:\n    from ..wire import http11",
        "tryvox_sim.contract.problems -> tryvox_sim.wire.http11",
    ),
    "proxy-imports-sim": (
        "tryvox_sim.proxy.report",
        "from ..sim import journal  # noqa",
        "tryvox_sim.proxy.report -> tryvox_sim.sim.journal",
    ),
    "sim-imports-proxy": (
        "tryvox_sim.sim.clock",
        "from ..proxy import verifier  # noqa",
        "tryvox_sim.sim.clock -> tryvox_sim.proxy.verifier",
    ),
    "suite-imports-pipeline": (
        "tryvox_contract.polite",
        "from tryvox_sim.sim import app  # noqa",
        "tryvox_contract.polite -> tryvox_sim.sim.app",
    ),
    "contract-imports-http": ("tryvox_sim.contract.violations", "import httpx  # noqa", "violations -> httpx"),
    "cycle": ("tryvox_sim.sim.clock", "from . import world  # noqa", "- .clock -> .world"),  # world imports clock
}


def test_each_import_against_the_layers_fails_lint_naming_it(tree):
    """One copy, every kind planted at once (lint-imports reports each broken contract with each import it found)."""
    for module, line, _ in PLANTED.values():
        plant(tree, module, line)
    result = lint_imports(tree)
    assert result.returncode == 1 and "BROKEN" in result.stdout, result.stdout
    missed = [name for name, (_, _, broken) in PLANTED.items() if broken not in result.stdout]
    assert missed == [], result.stdout
