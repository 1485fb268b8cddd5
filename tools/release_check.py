"""`make release-check TAG=vX.Y.Z`: what a release publishes agrees with its tag, or each mismatch is named.

What one tag versions (CHANGELOG.md, "Releases"): the tag vX.Y.Z is the project's release X.Y.Z, and X.Y.Z is the
version of tryvox-contract, the suite the GitHub Action runs (`uses: tryvox/tryvox-call-actions@vX` follows the
release's major tag). The other packages keep versions of their own, and a release publishes the ones its tree has,
each as tryvox-contract X.Y.Z pins it: tryvox-sim S (it carries the spec), tryvox-call-actions-client C and the
TypeScript SDK @tryvox/call-actions C (the SDK's version is the Python client's), and the images tryvox-sim:S and
tryvox-contract:X.Y.Z. A version already published is not published again.

Checked, each mismatch one line:
- the tag is vMAJOR.MINOR.PATCH, and tryvox-contract's version is MAJOR.MINOR.PATCH;
- tryvox-contract pins tryvox-sim and the client at the versions their own files give, as tryvox-sim's `client`
  extra does; the client's version is the same in openapi/client-config.yaml, generated/pyproject.toml,
  typescript-sdk/package.json and its lock;
- CHANGELOG.md has a section for each version released (`[contract X.Y.Z]`, `[sim S]`, `[client C]` or the spec's
  `[C]` when the client moved with it, the spec's `[V]`) and none under `[Unreleased]` is left;
- action.yml installs the packages of its own ref (so `@vX.Y.Z` runs tryvox-contract X.Y.Z) and names no version of
  them; the READMEs' `uses: tryvox/tryvox-call-actions@…` lines name the major tag this release moves, or the tag;
- with --built (the release workflow, after `make dist image`): dist/ holds exactly the wheel and sdist of each of
  the three packages and the SDK's npm tarball at these versions, and each image carries its version as the label
  org.opencontainers.image.version and prints it for --version.

    python -m tools.release_check --tag vX.Y.Z [--built] [--dist DIR] [--sim-image NAME] [--contract-image NAME]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TAG = re.compile(r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
USES = re.compile(r"uses:\s*tryvox/tryvox-call-actions@([\w.-]+)")
READMES = ("README.md", "contract_tests/README.md")
PACKAGES = ("tryvox-contract", "tryvox-sim", "tryvox-call-actions-client")
VERSION_LABEL = "org.opencontainers.image.version"


@dataclass(frozen=True)
class Versions:
    """The versions the tree gives each thing a release publishes."""

    contract: str
    sim: str
    client: str  # the Python client's (openapi/client-config.yaml)
    spec: str
    contract_pins: dict[str, str]  # tryvox-contract's dependency -> the version it pins exactly
    sim_client_pin: str | None  # tryvox-sim's `client` extra
    generated: str  # generated/pyproject.toml
    sdk: str  # typescript-sdk/package.json
    sdk_lock: str  # typescript-sdk/package-lock.json

    @classmethod
    def read(cls, root: Path = ROOT) -> Versions:
        contract = tomllib.loads((root / "contract_tests" / "pyproject.toml").read_text())["project"]
        sim = tomllib.loads((root / "pyproject.toml").read_text())["project"]
        config = yaml.safe_load((root / "openapi" / "client-config.yaml").read_text())
        spec = yaml.safe_load((root / "openapi" / "call-actions.yaml").read_text())["info"]["version"]
        lock = json.loads((root / "typescript-sdk" / "package-lock.json").read_text())
        extra = [pin(d) for d in sim.get("optional-dependencies", {}).get("client", [])]
        return cls(
            contract=contract["version"],
            sim=sim["version"],
            client=str(config.get("package_version_override") or spec),
            spec=str(spec),
            contract_pins=dict(filter(None, map(pin, contract.get("dependencies", [])))),
            sim_client_pin=next((version for name, version in filter(None, extra) if name in PACKAGES), None),
            generated=tomllib.loads((root / "generated" / "pyproject.toml").read_text())["project"]["version"],
            sdk=json.loads((root / "typescript-sdk" / "package.json").read_text())["version"],
            sdk_lock=str(lock.get("packages", {}).get("", {}).get("version", lock.get("version"))),
        )


def pin(requirement: str) -> tuple[str, str] | None:
    """(name, version) of an exact pin `name==version` (markers dropped), else None."""
    found = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*==\s*([^;\s]+)", requirement)
    return (found[1].lower().replace("_", "-"), found[2]) if found else None


def tag_problems(tag: str, v: Versions) -> list[str]:
    if not TAG.match(tag):
        return [f"the tag {tag!r} is not vMAJOR.MINOR.PATCH (a release tag names tryvox-contract's version)"]
    if tag[1:] != v.contract:
        return [f"the tag {tag} is not tryvox-contract's version {v.contract} (contract_tests/pyproject.toml)"]
    return []


def version_problems(v: Versions) -> list[str]:
    problems = []
    for name, version in (("tryvox-sim", v.sim), ("tryvox-call-actions-client", v.client)):
        pinned = v.contract_pins.get(name)
        if pinned != version:
            problems.append(f"tryvox-contract pins {name}=={pinned} but {name} is {version}")
    if v.sim_client_pin is not None and v.sim_client_pin != v.client:
        problems.append(f"tryvox-sim's client extra pins {v.sim_client_pin} but the client is {v.client}")
    for where, version in (("generated/pyproject.toml", v.generated), ("typescript-sdk/package.json", v.sdk),
                           ("typescript-sdk/package-lock.json", v.sdk_lock)):  # fmt: skip
        if version != v.client:
            problems.append(f"{where} says {version} but the client is {v.client} (openapi/client-config.yaml)")
    return problems


def changelog_problems(changelog: str, v: Versions) -> list[str]:
    headings = set(re.findall(r"^## \[([^\]]+)\]", changelog, re.M))
    problems = []
    wanted = [("contract", f"contract {v.contract}"), ("sim", f"sim {v.sim}"), ("spec", v.spec)]
    client = f"client {v.client}" if v.client != v.spec or f"client {v.client}" in headings else v.client
    for what, heading in [*wanted, ("client", client)]:
        if heading not in headings:
            problems.append(f"CHANGELOG.md has no '## [{heading}]' section for the {what} this release publishes")
    unreleased = re.search(r"^## \[Unreleased\][^\n]*\n(.*?)(?=^## \[|\Z)", changelog, re.M | re.S)
    if unreleased and unreleased[1].strip():
        problems.append("CHANGELOG.md still has entries under '## [Unreleased]': move them to the release's sections")
    return problems


def action_problems(action: str, readmes: dict[str, str], tag: str) -> list[str]:
    problems = []
    steps = yaml.safe_load(action)["runs"]["steps"]
    installs = "\n".join(step.get("run", "") for step in steps if step.get("id") == "install")
    for folder in ("/contract_tests", "", "/generated"):
        if f'"$GITHUB_ACTION_PATH{folder}"' not in installs:
            problems.append(f"action.yml's install step does not install $GITHUB_ACTION_PATH{folder}, the tag's own")
    for name in PACKAGES:
        named = re.search(rf"{name}\s*(==|@)\s*\S+", action)
        if named:
            problems.append(f"action.yml names a version of {name} ({named[0]}): it installs its own ref's")
    if not TAG.match(tag):
        return problems  # the tag's own problem is said already
    major = tag.split(".")[0]
    for path, text in readmes.items():
        for ref in dict.fromkeys(USES.findall(text)):  # each ref once per file
            if ref not in (major, tag):
                problems.append(f"{path}: `uses: tryvox/tryvox-call-actions@{ref}` is not {major}, the tag this moves")
    return problems


def dist_problems(dist: Path, v: Versions) -> list[str]:
    wanted = {
        f"tryvox_contract-{v.contract}-py3-none-any.whl", f"tryvox_contract-{v.contract}.tar.gz",
        f"tryvox_sim-{v.sim}-py3-none-any.whl", f"tryvox_sim-{v.sim}.tar.gz",
        f"tryvox_call_actions_client-{v.client}-py3-none-any.whl", f"tryvox_call_actions_client-{v.client}.tar.gz",
        f"tryvox-call-actions-{v.sdk}.tgz",
    }  # fmt: skip
    found = {path.name for path in dist.iterdir()} if dist.is_dir() else set()
    problems = [f"{dist}/{name} is missing (make dist)" for name in sorted(wanted - found)]
    return problems + [f"{dist}/{name} is not of this release" for name in sorted(found - wanted)]


def image_problems(image: str, version: str, docker: str = "docker") -> list[str]:
    try:
        inspected = subprocess.run(
            [docker, "image", "inspect", "--format", "{{json .Config.Labels}}", image],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    except OSError as exc:
        return [f"image {image}: docker cannot be run ({exc})"]
    if inspected.returncode != 0:
        return [f"image {image} is not there (make image): {inspected.stderr.strip()[:200]}"]
    label = (json.loads(inspected.stdout or "null") or {}).get(VERSION_LABEL)
    problems = [] if label == version else [f"image {image}'s label {VERSION_LABEL} is {label!r}, not {version}"]
    said = subprocess.run(
        [docker, "run", "--rm", image, "--version"], capture_output=True, text=True, timeout=120, check=False
    )
    if f" {version} " not in f" {said.stdout.strip()} ":
        problems.append(
            f"image {image} says {said.stdout.strip() or said.stderr.strip()[:200]!r} for --version, not {version}"
        )
    return problems


def check(tag: str, root: Path = ROOT, built: bool = False, dist: Path | None = None,
          images: tuple[str, str] | None = None) -> list[str]:  # fmt: skip
    """Every mismatch between the tree (and, `built`, dist/ and the images) and the release `tag`."""
    v = Versions.read(root)
    problems = tag_problems(tag, v) + version_problems(v)
    problems += changelog_problems((root / "CHANGELOG.md").read_text(), v)
    readmes = {path: (root / path).read_text() for path in READMES if (root / path).is_file()}
    problems += action_problems((root / "action.yml").read_text(), readmes, tag)
    if built:
        problems += dist_problems(dist or root / "dist", v)
        sim_image, contract_image = images or (f"tryvox-sim:{v.sim}", f"tryvox-contract:{v.contract}")
        problems += image_problems(sim_image, v.sim) + image_problems(contract_image, v.contract)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.release_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tag", required=True, help="the release tag, vX.Y.Z")
    parser.add_argument("--built", action="store_true", help="check dist/ and the images too (after make dist image)")
    parser.add_argument("--dist", type=Path, help="the distributions' folder (default dist/)")
    parser.add_argument("--sim-image", help="default tryvox-sim:<its version>")
    parser.add_argument("--contract-image", help="default tryvox-contract:<its version>")
    args = parser.parse_args(argv)
    v = Versions.read()
    images = (args.sim_image or f"tryvox-sim:{v.sim}", args.contract_image or f"tryvox-contract:{v.contract}")
    problems = check(args.tag, built=args.built, dist=args.dist, images=images)
    print(f"release {args.tag}: tryvox-contract {v.contract}, tryvox-sim {v.sim}, tryvox-call-actions-client and "
          f"@tryvox/call-actions {v.client}, spec {v.spec}")  # fmt: skip
    for problem in problems:
        print(f"FAIL: {problem}")
    print(
        f"release check: {'FAILED' if problems else 'passed'}"
        + ("" if args.built else " (sources; --built: dist/ and images too)")
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
