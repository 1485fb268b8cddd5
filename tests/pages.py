"""The docs site's pages (docs/), as the tests that run their code read them.

A code block a test runs lives on its page; a test finds it by a marker only that block holds. A block inside a
content tab (`=== "Python"`) is indented under it: `blocks` gives it dedented, as a reader copies it.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
FENCE = re.compile(r"^( *)```(\w+)\n(.*?)^\1```", re.M | re.S)


def page(name: str) -> str:
    return (DOCS / name).read_text()


def blocks(name: str, language: str) -> list[str]:
    return [textwrap.dedent(code) for _, lang, code in FENCE.findall(page(name)) if lang == language]


def block(name: str, language: str, marker: str) -> str:
    found = [code for code in blocks(name, language) if marker in code]
    assert len(found) == 1, f"expected one {language} block containing {marker!r} in docs/{name}"
    return found[0]
