"""`make check-client`: compare the clients generated under a build folder with the checkout's, byte for byte.

    python -m tools.check_client FRESH PATH...

Each PATH (a folder or a file, relative to the checkout) is compared with FRESH/PATH. The checkout's side is its
files as they are in the working tree, those git tracks or would add (ignored ones, such as __pycache__/, are left
out on both sides). Every file that differs, that the generator writes and the checkout lacks (missing), or that the
checkout has and the generator does not write (extra) is listed, with the start of each difference. Nothing is
written. Exit status 1 when anything differs, 0 when the checkout holds exactly what was generated.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

DIFF_LINES = 12  # of each differing file's unified diff: enough to see what changed


def git_lines(*args: str, stdin: str = "") -> list[str]:
    listed = subprocess.run(["git", *args], input=stdin, capture_output=True, text=True)
    if listed.returncode not in (0, 1):  # check-ignore exits 1 when nothing is ignored
        raise SystemExit(f"git {args[0]} failed: {listed.stderr.strip()}")
    return [line for line in listed.stdout.split("\0") if line]


def checkout_files(paths: list[str]) -> set[str]:
    """The files under `paths` that git tracks or would add, as they are in the working tree."""
    listed = git_lines("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *paths)
    return {name for name in listed if os.path.isfile(name)}  # a tracked file deleted in the working tree is gone


def fresh_files(fresh: Path, paths: list[str]) -> set[str]:
    """The files under fresh/<path> for each path, named as in the checkout, without those .gitignore leaves out."""
    found = set()
    for path in paths:
        root = fresh / path
        if root.is_file():
            found.add(path)
        for folder, _, names in os.walk(root):
            found |= {Path(folder, name).relative_to(fresh).as_posix() for name in names}
    if not found:
        return found
    ignored = git_lines("check-ignore", "-z", "--no-index", "--stdin", stdin="\0".join(sorted(found)) + "\0")
    return found - set(ignored)


def difference(committed: Path, generated: Path) -> list[str]:
    """The first lines of a unified diff from the checkout's file to the generated one."""
    try:
        old, new = committed.read_text().splitlines(), generated.read_text().splitlines()
    except UnicodeDecodeError:
        return ["(binary files differ)"]
    lines = list(difflib.unified_diff(old, new, "committed", "generated", lineterm="", n=1))
    return lines[:DIFF_LINES] + ([f"... ({len(lines) - DIFF_LINES} more lines)"] if len(lines) > DIFF_LINES else [])


def compare(fresh: Path, paths: list[str]) -> list[str]:
    """One report line per differing, missing or extra file (and the start of each difference); none when equal."""
    generated, committed = fresh_files(fresh, paths), checkout_files(paths)
    report = []
    for name in sorted(generated | committed):
        if name not in committed:
            report.append(f"  missing  {name}  (generated, not in the checkout)")
        elif name not in generated:
            report.append(f"  extra    {name}  (in the checkout, not generated)")
        elif Path(name).read_bytes() != (fresh / name).read_bytes():
            report.append(f"  differs  {name}")
            report += [f"           | {line}" for line in difference(Path(name), fresh / name)]
    return report


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2 or not Path(args[0]).is_dir():
        print(
            "usage: python -m tools.check_client FRESH PATH...  (FRESH: the folder they were generated under)",
            file=sys.stderr,
        )
        return 2
    fresh, paths = Path(args[0]), args[1:]
    report = compare(fresh, paths)
    if report:
        print(f"check-client: the committed clients differ from a fresh generation (in {fresh}/):", *report, sep="\n")
        print("run 'make client' and commit")
        return 1
    print(f"check-client: {', '.join(paths)} are exactly as generated (compared with {fresh}/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
