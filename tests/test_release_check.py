"""tools/release_check.py (`make release-check TAG=…`) and the release workflow: a tag passes only when every version
it publishes, the CHANGELOG, action.yml and the READMEs' `uses:` lines agree with it, and each mismatch is named."""

from __future__ import annotations

import json
import re
import shutil
import stat
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tools` lives at the repo root

from tools import release_check  # noqa: E402
from tools.release_check import Versions, check  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FILES = ("pyproject.toml", "contract_tests/pyproject.toml", "openapi/client-config.yaml", "openapi/call-actions.yaml",
         "generated/pyproject.toml", "typescript-sdk/package.json", "typescript-sdk/package-lock.json",
         "CHANGELOG.md", "action.yml", "README.md", "contract_tests/README.md")  # fmt: skip


@pytest.fixture
def tree(tmp_path) -> Path:
    """The release's files, copied, with a CHANGELOG and READMEs as a release would have them."""
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, tmp_path / name)
    v = Versions.read(tmp_path)
    sections = "".join(f"## [{h}] - 2027-01-01\n\nStuff.\n\n" for h in
                       (f"contract {v.contract}", f"sim {v.sim}", f"client {v.client}", v.spec))  # fmt: skip
    (tmp_path / "CHANGELOG.md").write_text(f"# Changelog\n\nRules.\n\n## [Unreleased]\n\n{sections}")
    for readme in ("README.md", "contract_tests/README.md"):
        path = tmp_path / readme
        path.write_text(re.sub(r"(uses: tryvox/tryvox-call-actions@)\S+", rf"\g<1>v{v.contract.split('.')[0]}",
                               path.read_text()))  # fmt: skip
    return tmp_path


def tag(root: Path) -> str:
    return f"v{Versions.read(root).contract}"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_a_release_whose_files_agree_with_its_tag_passes(tree):
    assert check(tag(tree), tree) == []


def test_the_tag_is_tryvox_contracts_version(tree):
    v = Versions.read(tree)
    assert check("v9.9.9", tree) == [
        f"the tag v9.9.9 is not tryvox-contract's version {v.contract} (contract_tests/pyproject.toml)",
        "README.md: `uses: tryvox/tryvox-call-actions@v1` is not v9, the tag this moves",
        "contract_tests/README.md: `uses: tryvox/tryvox-call-actions@v1` is not v9, the tag this moves",
    ]
    [problem] = check("v1", tree)
    assert problem == "the tag 'v1' is not vMAJOR.MINOR.PATCH (a release tag names tryvox-contract's version)"


def test_each_version_that_disagrees_is_named(tree):
    v = Versions.read(tree)
    edit(tree / "contract_tests/pyproject.toml", f'"tryvox-sim=={v.sim}"', '"tryvox-sim==0.9.0"')
    edit(tree / "typescript-sdk/package.json", f'"version": "{v.client}"', '"version": "0.0.1"')
    edit(tree / "generated/pyproject.toml", f'version = "{v.client}"', 'version = "0.0.2"')
    assert check(tag(tree), tree) == [
        f"tryvox-contract pins tryvox-sim==0.9.0 but tryvox-sim is {v.sim}",
        f"generated/pyproject.toml says 0.0.2 but the client is {v.client} (openapi/client-config.yaml)",
        f"typescript-sdk/package.json says 0.0.1 but the client is {v.client} (openapi/client-config.yaml)",
    ]


def test_the_changelog_needs_a_section_for_each_version_and_nothing_left_unreleased(tree):
    v = Versions.read(tree)
    edit(tree / "CHANGELOG.md", f"## [sim {v.sim}]", "## [sim 0.0.0]")
    edit(tree / "CHANGELOG.md", "## [Unreleased]\n", "## [Unreleased]\n\n- Something not released yet.\n")
    assert check(tag(tree), tree) == [
        f"CHANGELOG.md has no '## [sim {v.sim}]' section for the sim this release publishes",
        "CHANGELOG.md still has entries under '## [Unreleased]': move them to the release's sections",
    ]


def test_action_yml_runs_its_own_ref_and_the_readmes_use_the_major_tag_the_release_moves(tree):
    edit(tree / "action.yml", '"$GITHUB_ACTION_PATH/contract_tests"', "tryvox-contract==1.0.0")
    readme = tree / "contract_tests/README.md"
    readme.write_text(re.sub(r"uses: tryvox/tryvox-call-actions@\S+", "uses: tryvox/tryvox-call-actions@main",
                             readme.read_text()))  # fmt: skip
    major = tag(tree).split(".")[0]
    assert check(tag(tree), tree) == [
        "action.yml's install step does not install $GITHUB_ACTION_PATH/contract_tests, the tag's own",
        "action.yml names a version of tryvox-contract (tryvox-contract==1.0.0): it installs its own ref's",
        f"contract_tests/README.md: `uses: tryvox/tryvox-call-actions@main` is not {major}, the tag this moves",
    ]


def test_built_distributions_are_exactly_this_releases(tree, tmp_path):
    v = Versions.read(tree)
    dist = tmp_path / "dist"
    dist.mkdir()
    for name in (f"tryvox_contract-{v.contract}-py3-none-any.whl", f"tryvox_contract-{v.contract}.tar.gz",
                 f"tryvox_sim-{v.sim}-py3-none-any.whl", f"tryvox_sim-{v.sim}.tar.gz",
                 f"tryvox_call_actions_client-{v.client}-py3-none-any.whl", "tryvox_sim-0.1.0.tar.gz"):  # fmt: skip
        (dist / name).write_text("")
    assert release_check.dist_problems(dist, v) == [
        f"{dist}/tryvox-call-actions-{v.sdk}.tgz is missing (make dist)",
        f"{dist}/tryvox_call_actions_client-{v.client}.tar.gz is missing (make dist)",
        f"{dist}/tryvox_sim-0.1.0.tar.gz is not of this release",
    ]


def fake_docker(tmp_path: Path, labels: dict, says: str) -> str:
    """A `docker` that answers `image inspect` with these labels and `run … --version` with `says`."""
    script = tmp_path / "docker"
    script.write_text(f"#!/bin/sh\nif [ \"$1\" = image ]; then echo '{json.dumps(labels)}'; else echo '{says}'; fi\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_an_image_carries_its_version_as_label_and_says_it(tmp_path):
    good = fake_docker(tmp_path, {release_check.VERSION_LABEL: "1.2.3"}, "tryvox-sim 1.2.3 (Call Actions API spec 1)")
    assert release_check.image_problems("tryvox-sim:1.2.3", "1.2.3", docker=good) == []
    bad = fake_docker(tmp_path, {release_check.VERSION_LABEL: "unknown"}, "tryvox-sim 1.2.2 (Call Actions API spec 1)")
    assert release_check.image_problems("tryvox-sim:1.2.3", "1.2.3", docker=bad) == [
        "image tryvox-sim:1.2.3's label org.opencontainers.image.version is 'unknown', not 1.2.3",
        "image tryvox-sim:1.2.3 says 'tryvox-sim 1.2.2 (Call Actions API spec 1)' for --version, not 1.2.3",
    ]


def test_the_dockerfile_labels_each_image_with_the_version_make_image_passes():
    dockerfile, made = (ROOT / "Dockerfile").read_text(), (ROOT / "mk" / "dist.mk").read_text()
    for stage, variable in (("contract", "CONTRACT_VERSION"), ("simulator", "SIM_VERSION")):
        body = dockerfile.split(f" AS {stage}\n", 1)[1].split("\nFROM ", 1)[0]
        assert f"ARG {variable}=" in body and f'{release_check.VERSION_LABEL}="${{{variable}}}"' in body, stage
        assert f"--build-arg {variable}=$({variable})" in made


def test_the_release_workflow_checks_builds_and_publishes_what_the_tag_names():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    assert workflow[True]["push"]["tags"] == ["v*.*.*"], "release tags only: moving v1 starts nothing"
    build = [step.get("run", "") for step in workflow["jobs"]["build"]["steps"]]
    assert build.index('make release-check TAG="$GITHUB_REF_NAME"') < build.index("make test")
    assert build.index("make test") < build.index('make release-check TAG="$GITHUB_REF_NAME" BUILT=1')
    assert any(run.startswith("make image") for run in build), "make image builds dist/ first"
    pypi = workflow["jobs"]["pypi"]
    assert pypi["permissions"] == {"id-token": "write"}, "trusted publishing: no stored token"
    assert any(step.get("uses", "").startswith("pypa/gh-action-pypi-publish@") for step in pypi["steps"])
    npm = "\n".join(step.get("run", "") for step in workflow["jobs"]["npm"]["steps"])
    assert "npm publish" in npm and "--provenance" in npm and workflow["jobs"]["npm"]["permissions"]["id-token"]
    images = "\n".join(step.get("run", "") for step in workflow["jobs"]["images"]["steps"])
    assert "ghcr.io/" in images and "tryvox-sim:$SIM" in images and "tryvox-contract:$CONTRACT" in images
    major = workflow["jobs"]["major-tag"]
    assert set(major["needs"]) == {"pypi", "npm", "images"}, "the major tag moves once everything is published"
    assert 'git push --force origin "refs/tags/$major"' in "\n".join(step.get("run", "") for step in major["steps"])


def test_the_readmes_uses_lines_name_a_major_tag_the_release_workflow_moves():
    for readme in ("README.md", "contract_tests/README.md"):
        refs = re.findall(r"uses:\s*tryvox/tryvox-call-actions@([\w.-]+)", (ROOT / readme).read_text())
        assert refs and all(re.fullmatch(r"v\d+", ref) for ref in refs), (readme, refs)
