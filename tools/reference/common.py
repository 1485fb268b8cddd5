"""What every reference page shares: where the repository is, the banner, Markdown table cells."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "https://github.com/tryvox/tryvox-call-actions/blob/main/"


def banner(title: str, sources: str, intro: str) -> list[str]:
    """The page's title, a note naming what it is written from, and its first paragraph."""
    return [
        f"# {title}",
        "",
        f"<!-- Written by `python -m tools.reference docs/reference` (make site) from {sources}. Do not edit. -->",
        "",
        intro,
        "",
    ]


def cell(text: object) -> str:
    """One Markdown table cell: on one line, its pipes escaped, and `<`, `>` outside code spans shown as written."""
    parts = " ".join(str(text).split()).replace("|", "\\|").split("`")
    for index in range(0, len(parts), 2):  # outside code spans
        parts[index] = parts[index].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]


def source_link(path: str) -> str:
    return f"[`{path}`]({SOURCE}{path})"


def page(lines: list[str]) -> str:
    return "\n".join(lines).rstrip() + "\n"
