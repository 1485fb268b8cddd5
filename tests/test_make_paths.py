"""Every make recipe works from a checkout whose path has a space and a non-ASCII letter.

A copy of the checkout is made at such a path, and every phony target is made there with a shell that records
each command line instead of running it: nothing is installed or started, and lines that call `$(MAKE)` are
recorded like the rest. Every line must parse as shell words, and a word that holds the start of the checkout's
path must hold all of it: an unquoted `$(CURDIR)/dist` splits at the space and fails here.
"""

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# make runs each line as `$(SHELL) -c LINE` (also for $(shell …)); this one only writes LINE down.
RECORDER = '#!/bin/sh\nprintf "%s\\0" "$2" >> "$TVX_RECORDED_LINES"\n'


def copy_checkout(dest: Path) -> None:
    """The files git knows of (tracked, or new and not ignored), as they are in the working tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout  # fmt: skip
    for name in filter(None, os.fsdecode(listed).split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is left out
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def phony_targets(checkout: Path, env: dict[str, str]) -> list[str]:
    database = subprocess.run(["make", "-pq"], cwd=checkout, env=env, capture_output=True, text=True).stdout
    phony = re.search(r"^\.PHONY: (.*)$", database, re.M)
    assert phony, "make -pq printed no .PHONY line"
    return sorted(set(phony.group(1).split()))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[Path, list[str], list[str]]:
    """(the checkout, its phony targets, every command line making all of them would run)."""
    checkout = tmp_path_factory.mktemp("paths") / "my projects ü" / "tryvox-call-actions"
    copy_checkout(checkout)
    tools = tmp_path_factory.mktemp("recorder")
    (tools / "record").write_text(RECORDER)
    (tools / "record").chmod(0o755)
    lines = tools / "lines"
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env["TVX_RECORDED_LINES"] = str(lines)
    targets = phony_targets(checkout, env)
    made = subprocess.run(
        ["make", "--no-print-directory", "-k", f"SHELL={tools / 'record'}", *targets],
        cwd=checkout, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr[-3000:]
    return checkout, targets, [line for line in lines.read_text().split("\0") if line]


def test_every_target_is_made(recorded):
    _, targets, lines = recorded
    assert {"test", "dist-test", "contract-test", "image-test", "serve"} <= set(targets)
    made = "\n".join(lines)
    assert "tests/test_dist.py" in made and "-m tools.image_test run" in made and "docker build" in made
    assert "$(MAKE)" not in made and "make --no-print-directory image" in made, "recursive lines recorded, not run"


def test_every_path_into_the_checkout_stays_one_shell_word(recorded):
    checkout, _, lines = recorded
    whole = str(checkout)
    start = whole.split(" ")[0]  # what an unquoted path leaves of itself in the first word
    split, unparsable, whole_words = [], [], 0
    for line in lines:
        try:
            words = shlex.split(line, comments=True)
        except ValueError as exc:
            unparsable.append(f"{exc}: {line}")
            continue
        split += [line for word in words if start in word and whole not in word]
        whole_words += sum(whole in word for word in words)
    assert not unparsable, "\n".join(unparsable)
    assert not split, "a path into the checkout is split into several words:\n" + "\n".join(split)
    assert whole_words, "no recipe names a path into the checkout: this test would not see one split"
