"""The spec a run tests: the one this release of the suite carries, or another version of it.

`--spec FILE` and `--spec-ref REF` (read from git, `REF` or `REF:PATH`, the path `openapi/call-actions.yaml` when
none is given) run the suite generated from that version against the target: the previous released contract against
a new server shows whether the clients already in the field still work with it, which a diff of the two files can
only guess. The chosen file reaches the suite's processes as TVX_SPEC (`tryvox_contract.spec_file()`); a spec read
from git is written into the report folder first (`spec.yaml`), so the reports keep what was tested.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tryvox_contract import SPEC
from tryvox_sim.contract.spec import Spec, load_yaml

DEFAULT_PATH = "openapi/call-actions.yaml"  # where the spec lives in this repository (and in a fork of it)
FROM_GIT = "spec.yaml"  # the report folder's copy of a spec read from git
OPERATIONS = {"transferCall", "startRecording", "stopRecording", "playAudio", "speakText", "sendDtmf"}


class SpecUnusable(Exception):
    """The spec asked for cannot be read or is not the Call Actions API; the message says why."""


@dataclass(frozen=True)
class Chosen:
    path: Path
    version: str
    origin: str  # how it was chosen, for the summary

    def line(self) -> str:
        return f"{self.version} ({self.origin})"


def choose(file: str | None, ref: str | None, reports: Path) -> Chosen:
    """The spec of `--spec` or `--spec-ref` (at most one is given), else the suite's own; checked to be readable
    as the Call Actions API."""
    if ref:
        path = reports / FROM_GIT
        path.write_text(from_git(ref))
        origin = f"{ref if ':' in ref else f'{ref}:{DEFAULT_PATH}'} from git, --spec-ref"
    elif file:
        path = Path(file).resolve()
        if not path.is_file():
            raise SpecUnusable(f"--spec {file}: no such file")
        origin = f"{file}, --spec"
    else:
        return Chosen(SPEC, _version(SPEC), "the suite's own")
    return Chosen(path, check(path, origin), origin)


def from_git(ref: str) -> str:
    """The text of `REF:PATH` (PATH openapi/call-actions.yaml when only REF is given) in the git repository of the
    folder the command runs in."""
    revision, _, path = ref.partition(":")
    target = f"{revision}:{path or DEFAULT_PATH}"
    try:
        shown = subprocess.run(["git", "show", target], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SpecUnusable(f"--spec-ref {ref}: git could not be run: {exc}") from None
    if shown.returncode != 0:
        said = shown.stderr.strip().splitlines()[-1:] or ["no output"]
        raise SpecUnusable(f"--spec-ref {ref}: git show {target} failed: {said[0]}")
    return shown.stdout


def check(path: Path, origin: str) -> str:
    """The spec's info.version, once it names Call Actions operations and is read as the suite reads it."""
    try:
        doc = load_yaml(path)
    except Exception as exc:  # not YAML at all
        raise SpecUnusable(f"{origin}: not an OpenAPI document: {_first_line(exc)}") from None
    if not isinstance(doc, dict) or "openapi" not in doc:
        raise SpecUnusable(f"{origin}: not an OpenAPI document (no `openapi` field)")
    named = {op.get("operationId") for item in (doc.get("paths") or {}).values() if isinstance(item, dict)
             for op in item.values() if isinstance(op, dict)}  # fmt: skip
    if not named & OPERATIONS:
        raise SpecUnusable(f"{origin}: not the Call Actions API (none of {', '.join(sorted(OPERATIONS))})")
    try:
        Spec(path)
    except Exception as exc:  # whatever a broken document makes the compiler raise: one line, exit 2
        raise SpecUnusable(f"{origin}: not an OpenAPI document the suite can read: {_first_line(exc)}") from None
    return _version(path)


def _first_line(exc: Exception) -> str:
    return f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0][:300]}"


def _version(path: Path) -> str:
    info = load_yaml(path).get("info") or {}
    return f"spec {info.get('version', '?')}"
