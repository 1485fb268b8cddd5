"""The docs site's reference pages, written from the code and the specs that hold each fact.

    python -m tools.reference docs/reference           # write the pages (make site runs this)
    python -m tools.reference --check docs/reference   # exit 1 naming each page that differs from a fresh one

Each page is a function returning Markdown; PAGES maps a file name to it. A page is never edited by hand: change
its source (an argument parser, a spec, coverage.toml, the invariants, action.yml, the variables' table) and run
`make site`.
"""

from __future__ import annotations

from collections.abc import Callable

from . import cli_pages, contract_pages, openapi_pages, project_pages

PAGES: dict[str, Callable[[], str]] = {
    "tryvox-sim.md": cli_pages.tryvox_sim,
    "tryvox-contract.md": cli_pages.tryvox_contract,
    "control-plane.md": openapi_pages.control_plane,
    "problems.md": openapi_pages.problems,
    "invariants.md": contract_pages.invariants,
    "notes.md": contract_pages.notes,
    "environment.md": project_pages.environment,
    "action.md": project_pages.action,
}
