"""The spec's version gate, run against a git ref (CI: the pull request's base branch).

Rules, checked on the spec's parsed content (comment and whitespace edits need no release):
- the spec changed, so ``info.version`` must go up (semantic version MAJOR.MINOR.PATCH);
- a breaking change (see tools/breaking.py) needs a new MAJOR version;
- a new version needs its ``## [X.Y.Z]`` section in CHANGELOG.md.
When the base has no spec yet (first commit) the gate passes with a note.

The generated clients have a version of their own (``package_version_override`` in openapi/client-config.yaml,
the spec's ``info.version`` when absent), since their templates and hand-written layer change without the spec:
- a changed client (anything under ``generated/``) needs a higher client version;
- it rises at least as much as the spec's: a new spec MAJOR needs a new client MAJOR, a new spec MINOR a new
  client MINOR (or MAJOR);
- a new client version needs its ``## [client X.Y.Z]`` section in CHANGELOG.md.

The simulator (tryvox-sim, the root pyproject.toml) and the contract suite (tryvox-contract,
contract_tests/pyproject.toml) are gated the same way, each by what its distributions ship (``SHIPS``): changed, a
higher version; at least the spec's rise; a ``## [sim X.Y.Z]`` / ``## [contract X.Y.Z]`` section. The sim carries the
spec, so a spec change is a change of it; the rendered docs page its wheel carries is made from the spec and docs/,
and a change of docs/ alone needs no release of it.

    python -m tools.version_check --base REF [--spec PATH] [--changelog PATH] [--verbose]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tools.breaking import Changes, SpecError, compare, load, report

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


class GitError(RuntimeError):
    pass


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changes: Changes | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_version(text) -> tuple[int, int, int]:
    match = SEMVER.match(str(text))
    if not match:
        raise SpecError(f"info.version {text!r} is not a semantic version MAJOR.MINOR.PATCH")
    return int(match[1]), int(match[2]), int(match[3])


def check(old_doc: dict | None, new_doc: dict, changelog: str | None = None) -> Verdict:
    """Apply the version rules to two parsed specs; ``old_doc`` None means the base had no spec."""
    verdict = Verdict()
    new_text = (new_doc.get("info") or {}).get("version")
    try:
        new_version = parse_version(new_text)
    except SpecError as exc:
        verdict.problems.append(str(exc))
        return verdict
    if old_doc is None:
        verdict.notes.append(f"the base has no spec yet: nothing to compare, version {new_text} accepted")
        return verdict
    if old_doc == new_doc:
        verdict.notes.append(f"the spec is unchanged (version {new_text})")
        return verdict
    verdict.changes = compare(old_doc, new_doc)
    old_text = (old_doc.get("info") or {}).get("version")
    try:
        old_version = parse_version(old_text)
    except SpecError as exc:  # an old spec with a bad version: only require a valid new one
        verdict.notes.append(f"base {exc}; not comparing versions")
        return verdict
    if new_version <= old_version:
        verdict.problems.append(
            f"the spec changed but info.version went from {old_text} to {new_text}: raise it "
            f"(PATCH for wording, MINOR for compatible additions, MAJOR for breaking changes)"
        )
    breaking = verdict.changes.breaking_changes
    if breaking and new_version[0] <= old_version[0]:
        verdict.problems.append(
            f"{len(breaking)} breaking change(s) need a new MAJOR version "
            f"({old_version[0] + 1}.0.0), but info.version is {new_text}"
        )
    elif breaking:
        verdict.notes.append(f"{len(breaking)} breaking change(s) accepted by the major release {new_text}")
    if new_version > old_version and changelog is not None and f"[{new_text}]" not in changelog:
        verdict.problems.append(f"CHANGELOG.md has no '## [{new_text}]' section for the new version")
    return verdict


CLIENT_CONFIG = Path("openapi/client-config.yaml")
CLIENT_PATHS = ("generated",)  # what a client release ships


def client_version(config_text: str | None, spec_doc: dict | None) -> str | None:
    """The client's version: the generator config's override, else the spec's info.version."""
    config = yaml.safe_load(config_text or "") or {}
    override = config.get("package_version_override")
    return str(override) if override else (spec_doc or {}).get("info", {}).get("version")


def check_client(
    old: str | None, new: str | None, changed: bool, spec_old: str | None, spec_new: str | None, changelog: str
) -> list[str]:
    """The client version rules (see the module's docstring); returns the problems found."""
    return check_package("client", old, new, changed, spec_old, spec_new, changelog)


def check_package(
    label: str, old: str | None, new: str | None, changed: bool, spec_old: str | None, spec_new: str | None,
    changelog: str,
) -> list[str]:  # fmt: skip
    """A package's version rules (the client's, the sim's, the contract suite's): `label` names it in the messages
    and in its CHANGELOG headings (`## [client X.Y.Z]`); returns the problems found."""
    if old is None or new is None:
        return []
    try:
        old_v, new_v = parse_version(old), parse_version(new)
        spec_old_v, spec_new_v = parse_version(spec_old), parse_version(spec_new)
    except SpecError:
        return [f"the {label}'s version {new!r} (or the spec's) is not a semantic version"]
    problems = []
    if changed and new_v <= old_v:
        problems.append(f"the {label} changed but its version stayed at {new} (was {old}): raise it")
    if spec_new_v[0] > spec_old_v[0] and new_v[0] <= old_v[0]:
        problems.append(f"the spec's MAJOR rose ({spec_old} to {spec_new}): the {label} needs a new MAJOR, not {new}")
    elif spec_new_v[:2] > spec_old_v[:2] and new_v[:2] <= old_v[:2]:
        problems.append(f"the spec's MINOR rose ({spec_old} to {spec_new}): the {label} needs a new MINOR, not {new}")
    # As before the client had a version of its own, it may move with the spec under the spec's heading.
    moving_with_the_spec = label == "client" and new == spec_new and f"[{new}]" in changelog
    if new_v > old_v and f"[{label} {new}]" not in changelog and not moving_with_the_spec:
        problems.append(f"CHANGELOG.md has no '## [{label} {new}]' section for the {label}'s new version")
    return problems


@dataclass(frozen=True)
class Shipped:
    """A Python package the gate holds like the client: its pyproject.toml and what its distributions ship."""

    label: str  # its CHANGELOG headings: ## [label X.Y.Z]
    manifest: str  # pyproject.toml of the package
    paths: tuple[str, ...]  # files and folders its wheel and sdist are made of (besides the manifest's [project])


SIM_SHIPS = (
    "tryvox_sim",
    "openapi/call-actions.yaml",
    "openapi/simulator.yaml",
    "docs/tryvox-sim.md",
    "hatch_build.py",
)
SHIPS = (
    Shipped("sim", "pyproject.toml", SIM_SHIPS),
    Shipped("contract", "contract_tests/pyproject.toml", ("contract_tests", "openapi/call-actions.arazzo.yaml")),
)


def project_table(text: str | None) -> dict | None:
    """The [project] and [build-system] tables of a pyproject.toml (the rest configures tools, not the package)."""
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    return {"project": data.get("project"), "build-system": data.get("build-system")}


def shipped_problems(
    package: Shipped, commit: str, spec_versions: tuple, changelog: str, notes: list[str]
) -> list[str]:
    """The version rules for `package` since `commit` (nothing when either side has no pyproject.toml)."""
    old_table, new_table = project_table(file_at(commit, Path(package.manifest))), None
    manifest = Path(package.manifest)
    if manifest.exists():
        new_table = project_table(manifest.read_text())
    if not old_table or not new_table:
        return []
    old_project, new_project = old_table["project"] or {}, new_table["project"] or {}
    old, new = old_project.get("version"), new_project.get("version")
    changed = new_project != old_project or new_table["build-system"] != old_table["build-system"]
    changed |= _git("diff", "--quiet", commit, "--", *package.paths).returncode != 0
    if old != new:
        notes.append(f"{package.label} version {old} -> {new}")
    return check_package(package.label, old, new, changed, *spec_versions, changelog)


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], capture_output=True, text=True, timeout=30, check=False)


def spec_at(ref: str, spec: Path) -> tuple[str | None, str]:
    """The spec's text at the merge base of ``ref`` and HEAD (None if absent) and that commit's name."""
    if _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise GitError(f"unknown git ref {ref!r} (in CI, check out with fetch-depth: 0)")
    base = _git("merge-base", ref, "HEAD")
    commit = base.stdout.strip() if base.returncode == 0 else ref
    shown = _git("show", f"{commit}:{spec.as_posix()}")
    return (shown.stdout if shown.returncode == 0 else None), commit[:12]


def file_at(commit: str, path: Path) -> str | None:
    shown = _git("show", f"{commit}:{path.as_posix()}")
    return shown.stdout if shown.returncode == 0 else None


def gate(ref: str, spec: Path, changelog: Path = Path("CHANGELOG.md"), verbose: bool = False) -> int:
    """Run the gate and print its verdict: 0 pass, 1 fail, 2 cannot compare."""
    try:
        old_text, commit = spec_at(ref, spec)
        new_doc = load(spec.read_text(), str(spec))
        old_doc = load(old_text, f"{spec} at {ref}") if old_text is not None else None
        log = changelog.read_text() if changelog.exists() else ""
        verdict = check(old_doc, new_doc, log)
        if old_doc is not None:
            new_config = CLIENT_CONFIG.read_text() if CLIENT_CONFIG.exists() else None
            old_client = client_version(file_at(commit, CLIENT_CONFIG), old_doc)
            new_client = client_version(new_config, new_doc)
            changed = _git("diff", "--quiet", commit, "--", *CLIENT_PATHS).returncode != 0
            spec_versions = (old_doc.get("info") or {}).get("version"), (new_doc.get("info") or {}).get("version")
            verdict.problems += check_client(old_client, new_client, changed, *spec_versions, log)
            if old_client != new_client:
                verdict.notes.append(f"client version {old_client} -> {new_client}")
            for package in SHIPS:
                verdict.problems += shipped_problems(package, commit, spec_versions, log, verdict.notes)
    except (GitError, SpecError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if verbose and verdict.changes is not None:
        print(report(verdict.changes, f"{spec}: changes since {ref} (merge base {commit})"))
    elif verdict.changes is not None:
        print(
            f"{spec}: {len(verdict.changes.breaking_changes)} breaking, "
            f"{len(verdict.changes.compatible_changes)} compatible change(s) since {ref}"
        )
    for note in verdict.notes:
        print(f"note: {note}")
    for problem in verdict.problems:
        print(f"FAIL: {problem}")
    print("spec gate: passed" if verdict.ok else "spec gate: FAILED")
    return 0 if verdict.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.version_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git ref to compare with (its merge base with HEAD)")
    parser.add_argument("--spec", default="openapi/call-actions.yaml")
    parser.add_argument("--changelog", default="CHANGELOG.md")
    parser.add_argument("--verbose", action="store_true", help="list every change (make breaking)")
    args = parser.parse_args(argv)
    return gate(args.base, Path(args.spec), Path(args.changelog), verbose=args.verbose)


if __name__ == "__main__":
    sys.exit(main())
