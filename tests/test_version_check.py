"""The version gate: a changed spec needs a higher info.version, a breaking one a higher major."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tools` lives at the repo root

from tools.version_check import check, gate, parse_version  # noqa: E402

SPEC = yaml.safe_load((Path(__file__).resolve().parents[1] / "openapi" / "call-actions.yaml").read_text())
SPEC["info"]["version"] = "1.0.0"  # the rules below are stated against this base version
CHANGELOG = "# Changelog\n\n## [2.0.0] - 2026-01-01\n\n## [1.1.0] - 2025-12-01\n\n## [1.0.1]\n\n## [1.0.0]\n"


def edited(version: str, *, breaking: bool = False, wording: bool = True) -> dict:
    doc = copy.deepcopy(SPEC)
    doc["info"]["version"] = version
    if wording:
        doc["info"]["description"] = "Reworded."
    if breaking:
        doc["components"]["schemas"]["SpeakRequest"]["properties"]["text"]["maxLength"] = 100
    return doc


@pytest.mark.parametrize(
    ("new", "ok", "says"),
    [
        (edited("1.0.0"), False, "raise it"),
        (edited("0.9.0"), False, "went from 1.0.0 to 0.9.0"),
        (edited("1.0.1"), True, None),
        (edited("1.1.0"), True, None),
        (edited("1.1.0", breaking=True), False, "need a new MAJOR version (2.0.0)"),
        (edited("1.0.0", breaking=True), False, "need a new MAJOR version"),
        (edited("2.0.0", breaking=True), True, None),
        (edited("v1.0.1"), False, "not a semantic version"),
        (edited("1.0.0", wording=False), True, None),
    ],
    ids=[
        "not raised",
        "lowered",
        "patch",
        "minor",
        "breaking minor",
        "breaking same",
        "breaking major",
        "not semver",
        "unchanged",
    ],
)
def test_version_rules(new, ok, says):
    verdict = check(SPEC, new, CHANGELOG)
    assert verdict.ok is ok, verdict.problems
    if says:
        assert any(says in p for p in verdict.problems), verdict.problems


def test_major_release_names_the_breaking_changes_it_accepts():
    verdict = check(SPEC, edited("2.0.0", breaking=True), CHANGELOG)
    assert verdict.ok
    assert verdict.changes.breaking_changes
    assert any("accepted by the major release 2.0.0" in n for n in verdict.notes)


def test_new_version_needs_a_changelog_section():
    verdict = check(SPEC, edited("1.2.0"), CHANGELOG)
    assert not verdict.ok
    assert "no '## [1.2.0]' section" in verdict.problems[0]


def test_first_spec_passes_with_a_note():
    verdict = check(None, SPEC, "")
    assert verdict.ok
    assert "base has no spec" in verdict.notes[0]


def test_parse_version():
    assert parse_version("1.2.3") == (1, 2, 3)
    assert parse_version("2.0.0-rc.1") == (2, 0, 0)
    with pytest.raises(ValueError):
        parse_version("1.2")


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        timeout=30,
    )


def test_gate_against_git_history(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    spec = Path("openapi/call-actions.yaml")
    git(tmp_path, "init", "-q", "-b", "main")
    Path("README").write_text("first commit has no spec\n")
    git(tmp_path, "add", "README")
    git(tmp_path, "commit", "-q", "-m", "start")
    spec.parent.mkdir()
    spec.write_text(yaml.safe_dump(SPEC, sort_keys=False))
    Path("CHANGELOG.md").write_text(CHANGELOG)
    assert gate("HEAD", spec) == 0  # the base commit has no spec yet
    assert "base has no spec" in capsys.readouterr().out

    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "spec 1.0.0")
    spec.write_text(yaml.safe_dump(SPEC, sort_keys=True) + "# a comment\n")
    assert gate("HEAD", spec) == 0  # same content, other layout: no release needed

    spec.write_text(yaml.safe_dump(edited("1.1.0", breaking=True)))
    assert gate("HEAD", spec, verbose=True) == 1
    out = capsys.readouterr().out
    assert "BREAKING  POST /v1/voice/accounts/{auth_id}/calls/{call_uuid}/speak request body.text" in out
    assert "spec gate: FAILED" in out

    spec.write_text(yaml.safe_dump(edited("2.0.0", breaking=True)))
    assert gate("HEAD", spec) == 0

    assert gate("no-such-branch", spec) == 2
    assert "unknown git ref 'no-such-branch'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("old", "new", "changed", "spec", "says"),
    [
        ("1.1.1", "1.2.0", True, ("1.1.1", "1.1.1"), None),
        ("1.2.0", "1.2.0", True, ("1.1.1", "1.1.1"), "stayed at 1.2.0"),
        ("1.2.0", "1.2.0", False, ("1.1.1", "1.1.1"), None),
        ("1.2.0", "1.2.1", True, ("1.1.1", "1.2.0"), "needs a new MINOR"),
        ("1.2.0", "1.3.0", True, ("1.1.1", "1.2.0"), None),
        ("1.2.0", "1.3.0", True, ("1.1.1", "2.0.0"), "needs a new MAJOR"),
        ("1.2.0", "2.0.0", True, ("1.1.1", "2.0.0"), None),
        ("1.2.0", "1.4.0", True, ("1.1.1", "1.1.1"), "no '## [client 1.4.0]' section"),
        ("1.2.0", "two", True, ("1.1.1", "1.1.1"), "not a semantic version"),
    ],
)
def test_client_version_rules(old, new, changed, spec, says):
    from tools.version_check import check_client

    problems = check_client(old, new, changed, *spec, "## [client 1.2.0]\n## [client 1.2.1]\n## [client 1.3.0]\n"
                            "## [client 2.0.0]\n")  # fmt: skip
    assert (not problems) if says is None else any(says in problem for problem in problems), problems


def test_the_client_version_is_the_override_or_the_specs():
    from tools.version_check import client_version

    assert client_version("package_version_override: 1.2.0\n", {"info": {"version": "1.1.1"}}) == "1.2.0"
    assert client_version("project_name_override: x\n", {"info": {"version": "1.1.1"}}) == "1.1.1"
    assert client_version(None, {"info": {"version": "1.1.1"}}) == "1.1.1"


def test_gate_refuses_a_changed_client_without_a_new_version(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    spec, config, client = Path("openapi/call-actions.yaml"), Path("openapi/client-config.yaml"), Path("generated/x.py")
    spec.parent.mkdir()
    client.parent.mkdir()
    spec.write_text(yaml.safe_dump(SPEC))
    config.write_text("package_version_override: 1.2.0\n")
    client.write_text("a = 1\n")
    Path("CHANGELOG.md").write_text(CHANGELOG + "## [client 1.2.1]\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "client 1.2.0")
    client.write_text("a = 2\n")
    assert gate("HEAD", spec) == 1
    assert "the client changed but its version stayed at 1.2.0" in capsys.readouterr().out
    config.write_text("package_version_override: 1.2.1\n")
    assert gate("HEAD", spec) == 0
    assert "client version 1.2.0 -> 1.2.1" in capsys.readouterr().out


def test_gate_holds_the_simulator_and_the_contract_suite_to_their_versions(tmp_path, monkeypatch, capsys):
    """tryvox-sim and tryvox-contract are gated as the client is: each by what its distributions ship."""
    monkeypatch.chdir(tmp_path)
    spec = Path("openapi/call-actions.yaml")
    files = {
        spec: yaml.safe_dump(SPEC),
        Path("pyproject.toml"): '[project]\nname = "tryvox-sim"\nversion = "1.1.0"\n\n[tool.ruff]\nline-length = 120\n',
        Path("tryvox_sim/serve.py"): "a = 1\n",
        Path("contract_tests/pyproject.toml"): '[project]\nname = "tryvox-contract"\nversion = "1.1.0"\n',
        Path("contract_tests/tryvox_contract/run.py"): "b = 1\n",
        Path("CHANGELOG.md"): CHANGELOG,
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "sim 1.1.0, contract 1.1.0")

    Path("pyproject.toml").write_text(files[Path("pyproject.toml")].replace("120", "100"))  # a tool's settings
    assert gate("HEAD", spec) == 0, "what the package does not ship needs no release"
    capsys.readouterr()

    Path("tryvox_sim/serve.py").write_text("a = 2\n")
    Path("contract_tests/tryvox_contract/run.py").write_text("b = 2\n")
    assert gate("HEAD", spec) == 1
    out = capsys.readouterr().out
    assert "FAIL: the sim changed but its version stayed at 1.1.0 (was 1.1.0): raise it" in out
    assert "FAIL: the contract changed but its version stayed at 1.1.0 (was 1.1.0): raise it" in out

    Path("pyproject.toml").write_text(files[Path("pyproject.toml")].replace('"1.1.0"', '"1.2.0"'))
    Path("contract_tests/pyproject.toml").write_text(
        files[Path("contract_tests/pyproject.toml")].replace("1.1.0", "1.1.1")
    )
    assert gate("HEAD", spec) == 1
    out = capsys.readouterr().out
    assert "FAIL: CHANGELOG.md has no '## [sim 1.2.0]' section for the sim's new version" in out
    assert "FAIL: CHANGELOG.md has no '## [contract 1.1.1]' section for the contract's new version" in out

    Path("CHANGELOG.md").write_text(CHANGELOG + "## [sim 1.2.0]\n\n## [contract 1.1.1]\n")
    assert gate("HEAD", spec) == 0
    out = capsys.readouterr().out
    assert "note: sim version 1.1.0 -> 1.2.0" in out and "note: contract version 1.1.0 -> 1.1.1" in out


def test_a_spec_major_or_minor_rise_carries_into_the_simulator_and_the_suite():
    from tools.version_check import check_package

    log = "## [sim 1.2.0]\n## [contract 1.1.1]\n"
    assert check_package("sim", "1.1.0", "1.2.0", True, "1.1.2", "1.2.0", log) == []
    assert check_package("contract", "1.1.0", "1.1.1", True, "1.1.2", "1.2.0", log) == [
        "the spec's MINOR rose (1.1.2 to 1.2.0): the contract needs a new MINOR, not 1.1.1"
    ]
