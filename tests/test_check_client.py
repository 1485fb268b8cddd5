"""`make check-client` generates both clients under build/check-client/ and compares: it writes nothing in the checkout.

The comparison (tools/check_client.py) is tested on a small git repository; `make check-client` itself runs in a copy
of the checkout (a git repository of its own, sharing .venv/ and the SDK's node_modules/ through links), once clean
and once with a hand edit in each client, an extra file and a missing one planted.
"""

import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest
from test_make_paths import copy_checkout

from tools.check_client import compare

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = ("generated", "typescript-sdk/src/generated", "typescript-sdk/LICENSE")


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A git repository holding a committed client `out/` and a fresh generation of it in build/fresh/out/."""
    files = {"out/a.py": "a = 1\n", "out/pkg/b.py": "b = 2\n", "out/LICENSE": "license\n"}
    write(tmp_path, {**files, ".gitignore": "build/\n__pycache__/\n"})
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    write(tmp_path / "build" / "fresh", files)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_same_files_compare_equal_and_ignored_ones_are_left_out(repo):
    write(repo, {"out/__pycache__/a.cpython-311.pyc": "bytecode"})
    write(repo / "build" / "fresh", {"out/pkg/__pycache__/b.cpython-311.pyc": "other bytecode"})
    assert compare(repo / "build" / "fresh", ["out"]) == []


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (lambda repo: (repo / "out/pkg/b.py").write_text("b = 3\n"), "  differs  out/pkg/b.py"),
        (lambda repo: (repo / "out/a.py").unlink(), "  missing  out/a.py  (generated, not in the checkout)"),
        (lambda repo: write(repo, {"out/c.py": ""}), "  extra    out/c.py  (in the checkout, not generated)"),
        (lambda repo: (repo / "build/fresh/out/pkg/b.py").write_bytes(b"b = 2\r\n"), "  differs  out/pkg/b.py"),
    ],
    ids=["edited", "missing", "extra", "line-ending"],
)
def test_each_difference_is_named(repo, change, line):
    change(repo)
    report = compare(repo / "build" / "fresh", ["out"])
    assert report[0] == line, report


def test_a_difference_shows_its_lines(repo):
    (repo / "out/a.py").write_text("a = 1\n# edited by hand\n")
    report = compare(repo / "build" / "fresh", ["out"])
    assert report[0] == "  differs  out/a.py" and "           | -# edited by hand" in report


# -- make check-client in a copy of the checkout


def fingerprint(checkout: Path) -> dict[str, str]:
    """Every file under the clients' outputs in the checkout, with a hash of its bytes."""
    found = {}
    for output in OUTPUTS:
        path = checkout / output
        for file in [path] if path.is_file() else path.rglob("*"):
            if file.is_file():
                found[file.relative_to(checkout).as_posix()] = hashlib.sha256(file.read_bytes()).hexdigest()
    return found


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A copy of the checkout, a git repository of its own, with the installed tools linked in."""
    copy = tmp_path_factory.mktemp("check-client") / "checkout"
    copy_checkout(copy)
    for installed in (".venv", "typescript-sdk/node_modules"):
        assert (ROOT / installed).is_dir(), f"{installed} is missing: make venv and make ts-build install it"
        (copy / installed).symlink_to(ROOT / installed, target_is_directory=True)
    git(copy, "init", "-q")
    git(copy, "add", "-A")
    return copy


def check_client(checkout: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    # The installs are ROOT's (linked): -o keeps make from installing again into them.
    stamps = ["-o", ".venv/.installed.stamp", "-o", "typescript-sdk/node_modules/.installed.stamp"]
    return subprocess.run(
        ["make", "--no-print-directory", *stamps, "check-client"],
        cwd=checkout, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_make_check_client_passes_on_the_checkout_and_names_each_planted_change(checkout):
    before = fingerprint(checkout)
    passed = check_client(checkout)
    assert passed.returncode == 0, passed.stdout[-3000:] + passed.stderr[-3000:]
    assert "are exactly as generated" in passed.stdout
    assert fingerprint(checkout) == before, "make check-client wrote into the checkout's clients"

    planted = {
        "generated/tryvox_call_actions_client/client.py": "differs",
        "typescript-sdk/src/generated/sdk.gen.ts": "differs",
        "generated/tryvox_call_actions_client/notes.py": "extra",
        "typescript-sdk/src/generated/core/utils.gen.ts": "missing",
    }
    with (checkout / "generated/tryvox_call_actions_client/client.py").open("a") as edited:
        edited.write("# edited by hand\n")
    sdk = checkout / "typescript-sdk/src/generated/sdk.gen.ts"
    sdk.write_text(sdk.read_text().replace("export const", "export  const", 1))
    (checkout / "generated/tryvox_call_actions_client/notes.py").write_text("NOTE = 'not generated'\n")
    (checkout / "typescript-sdk/src/generated/core/utils.gen.ts").unlink()
    planted_state = fingerprint(checkout)

    failed = check_client(checkout)
    assert failed.returncode != 0, failed.stdout[-3000:]
    listed = {name: kind for kind, name in re.findall(r"^  (differs|extra|missing) +(\S+)", failed.stdout, re.M)}
    assert listed == planted, failed.stdout[-3000:]
    assert "run 'make client' and commit" in failed.stdout
    assert fingerprint(checkout) == planted_state, "make check-client changed the planted edits"
