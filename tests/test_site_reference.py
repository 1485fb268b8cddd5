"""The site's reference pages (docs/reference/, written by tools/reference) are the ones their sources give today."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools import reference
from tools.reference import project_pages
from tools.reference.__main__ import stale

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "docs" / "reference"


def test_the_committed_pages_are_fresh():
    assert stale(PAGES) == [], "run `make site` (it writes docs/reference/) and commit the pages"


def test_a_stale_page_is_named_and_fails_the_check(tmp_path):
    for name in reference.PAGES:
        shutil.copy(PAGES / name, tmp_path / name)
    edited = tmp_path / "tryvox-sim.md"
    edited.write_text(edited.read_text().replace("--manual-clock", "--hand-clock"))
    (tmp_path / "problems.md").unlink()
    done = subprocess.run(
        [sys.executable, "-m", "tools.reference", "--check", str(tmp_path)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert [line.split(" is stale")[0] for line in done.stdout.splitlines()] == [
        str(tmp_path / "tryvox-sim.md"),
        str(tmp_path / "problems.md"),
    ]


def test_the_pages_come_from_their_sources():
    """Each page holds what its source says: every flag, control-plane route, problem code, invariant and input."""
    from tryvox_sim.contract.invariants import INVARIANTS

    sim, control = (PAGES / "tryvox-sim.md").read_text(), (PAGES / "control-plane.md").read_text()
    assert "| `--cors` | `ORIGIN …` |" in sim and "## `tryvox-sim proxy`" in sim
    assert "`POST /_sim/faults` · `createFault`" in control
    assert all(f"| `{invariant.name}` |" in (PAGES / "invariants.md").read_text() for invariant in INVARIANTS.values())
    assert "| `caller_id_not_owned` | 422 |" in (PAGES / "problems.md").read_text()
    assert "| `min-coverage` |" in (PAGES / "action.md").read_text()


def test_a_variable_the_code_reads_must_be_described(monkeypatch):
    described = dict(project_pages.VARIABLES)
    del described["TVX_SIM_CORS"]
    monkeypatch.setattr(project_pages, "VARIABLES", described)
    with pytest.raises(ValueError, match=r"describe \['TVX_SIM_CORS'\]"):
        project_pages.environment()


def test_a_described_variable_must_be_read_somewhere(monkeypatch):
    monkeypatch.setattr(project_pages, "VARIABLES", {**project_pages.VARIABLES, "TVX_NOTHING": "read by nothing"})
    with pytest.raises(ValueError, match=r"nothing reads \['TVX_NOTHING'\]"):
        project_pages.environment()
