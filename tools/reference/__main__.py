"""`python -m tools.reference [--check] DIR`: write the reference pages into DIR, or say which ones are stale."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import PAGES


def stale(folder: Path) -> list[str]:
    """The pages in `folder` that differ from a fresh one, or are missing."""
    return [
        name for name, write in PAGES.items() if not (folder / name).is_file() or (folder / name).read_text() != write()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.reference", description=__doc__)
    parser.add_argument("folder", type=Path, help="where the pages are (docs/reference)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 naming each stale page")
    args = parser.parse_args(argv)
    if args.check:
        found = stale(args.folder)
        for name in found:
            print(f"{args.folder / name} is stale: run `make site` (it writes the reference pages) and commit them")
        return 1 if found else 0
    args.folder.mkdir(parents=True, exist_ok=True)
    for name, write in PAGES.items():
        (args.folder / name).write_text(write())
    print(f"{args.folder}: {len(PAGES)} reference pages written ({', '.join(PAGES)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
