"""action.yml, run here as a GitHub runner runs a composite action, without GitHub.

The action's inputs are merged with their defaults and its steps run in order: each `run:` step with the
`${{ … }}` expressions of its `env:` substituted (inputs, the outputs of earlier steps, github.action_path,
runner.temp), in `bash --noprofile --norc -eo pipefail` as GitHub runs `shell: bash`, in a workspace folder with
GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_PATH, GITHUB_ENV and RUNNER_TEMP set to temporary files and folders, and
the job's `env:` (the API token, as a secret would be) around it; `if:` conditions are evaluated (success(),
always(), comparisons of inputs). Composite actions get no INPUT_* variables from GitHub (actions/runner#665):
the action maps its inputs to them itself, in its steps' env. An expression or step this runner does not know fails
the test: nothing is skipped silently.

Steps that only GitHub can run, or that need the package index, are stood in for, each with its reason
(STAND_INS): actions/setup-python (the Python of the venv below), the install step (the wheels of `make dist`, in
the fresh venv outside the repository of tests/installed.py, are the packages it installs from the action's own
source), actions/upload-artifact (the folder it would upload is checked instead). Part of `make dist-test`.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from fault_proxy import FaultProxy, Relayed
from installed import ROOT, clean_env, served

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]  # GitHub's `shell: bash`
IDS = ("TVX_API_TOKEN", "TVX_AUTH_ID", "TVX_CALL_UUID")


@dataclass
class Job:
    """One use of the action in a job: what the runner gives it, and what came out."""

    workspace: Path
    temp: Path
    env: dict[str, str]
    inputs: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # step id -> its outputs
    log: list[str] = field(default_factory=list)  # what ran, what was stood in for and why
    stdout: str = ""
    summary: str = ""
    uploaded: dict[str, Path] = field(default_factory=dict)  # artifact name -> the folder
    failed: bool = False

    def value(self, expression: str) -> str:
        """A context value: inputs.NAME, steps.ID.outputs.NAME, github.action_path, runner.temp."""
        parts = expression.split(".")
        if parts[0] == "inputs" and len(parts) == 2 and parts[1] in self.inputs:
            return self.inputs[parts[1]]
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.outputs.get(parts[1], {}).get(parts[3], "")
        if expression == "github.action_path":
            return str(ROOT)
        if expression == "runner.temp":
            return str(self.temp)
        raise AssertionError(f"action.yml uses an expression this test's runner does not know: {expression}")

    def substitute(self, text: str) -> str:
        return EXPRESSION.sub(lambda match: self.value(match.group(1)), str(text))

    def condition(self, text: str | None) -> bool:
        """An `if:`: terms joined by &&, each always(), success(), failure() or `context == / != 'literal'`."""
        if text is None:
            return not self.failed
        truth = True
        for term in EXPRESSION.sub(r"\1", text).split("&&"):
            term = term.strip()
            if term in ("always()", "success()", "failure()"):
                truth &= {"always()": True, "success()": not self.failed, "failure()": self.failed}[term]
                continue
            compared = re.fullmatch(r"([\w.-]+)\s*(==|!=)\s*'([^']*)'", term)
            if not compared:
                raise AssertionError(f"action.yml has a condition this test's runner does not know: {term}")
            left, operator, right = compared.groups()
            truth &= (self.value(left) == right) == (operator == "==")
        if not any(term.strip() in ("always()", "failure()") for term in text.split("&&")):
            truth &= not self.failed  # GitHub adds success() unless a status function is named
        return truth


def stand_in_setup_python(job: Job, step: dict) -> str:
    assert step["with"]["python-version"] == "${{ inputs.python-version }}"
    return "stood in: the suite runs on the Python of the fresh venv (3.11, the version this project tests)"


def stand_in_install(job: Job, step: dict) -> str:
    """The install step's pip command names the action's own folders; the built wheels of those folders are installed
    in the venv of tests/installed.py, whose bin is what the step would report."""
    script = step["run"]
    for source in ("contract_tests", "", "generated"):  # tryvox-contract, tryvox-sim and the client, from their folders
        assert f'"$GITHUB_ACTION_PATH{"/" if source else ""}{source}"' in script, source
        assert (ROOT / source / "pyproject.toml").is_file(), source
    assert '--constraint "$GITHUB_ACTION_PATH/requirements.lock"' in script
    assert 'echo "bin=$venv/bin" >> "$GITHUB_OUTPUT"' in script
    job.outputs["install"] = {"bin": job.env["PATH"].split(":")[0]}
    return "stood in: pip installs from the action's source with the package index; here make dist's wheels, installed"


ARTIFACT_URL = "https://github.com/example/api/actions/runs/1/artifacts/2"  # as upload-artifact@v4 outputs it


def stand_in_upload_artifact(job: Job, step: dict) -> str:
    name, path = job.substitute(step["with"]["name"]), job.workspace / job.substitute(step["with"]["path"])
    job.uploaded[name] = path
    job.outputs[step["id"]] = {"artifact-url": ARTIFACT_URL}
    return f"stood in: upload-artifact would upload {path} as {name!r}; the test reads the folder instead"


STAND_INS = {
    "actions/setup-python": stand_in_setup_python,
    "install": stand_in_install,
    "actions/upload-artifact": stand_in_upload_artifact,
}


def run_action(job: Job, **given: str) -> dict[str, str]:
    """Run action.yml's steps with `given` inputs; returns the action's outputs."""
    unknown = set(given) - set(ACTION["inputs"])
    assert not unknown, f"inputs action.yml does not declare: {unknown}"
    job.inputs = {name: given.get(name, spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    for number, step in enumerate(ACTION["runs"]["steps"]):
        name = step.get("name", f"step {number}")
        if not job.condition(step.get("if")):
            job.log.append(f"{name}: skipped, its condition {step.get('if')!r} is false")
            continue
        key = step.get("id") if step.get("id") in STAND_INS else step.get("uses", "@").split("@")[0]
        if key in STAND_INS:
            job.log.append(f"{name}: {STAND_INS[key](job, step)}")
            continue
        assert "run" in step and step.get("shell") == "bash", f"{name}: a step this test's runner cannot run"
        run_step(job, step.get("id", f"step-{number}"), step)
        job.log.append(f"{name}: ran, {'failed' if job.failed else 'passed'}")
    return {name: job.substitute(spec["value"]) for name, spec in ACTION["outputs"].items()}


def run_step(job: Job, step_id: str, step: dict) -> None:
    files = {name: job.temp / f"{step_id}.{name}" for name in ("output", "summary", "path", "env")}
    for path in files.values():
        path.write_text("")
    env = {**job.env, **{name: job.substitute(value) for name, value in step.get("env", {}).items()}}
    env |= {
        "GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_WORKSPACE": str(job.workspace),
        "RUNNER_TEMP": str(job.temp), "GITHUB_OUTPUT": str(files["output"]), "GITHUB_PATH": str(files["path"]),
        "GITHUB_STEP_SUMMARY": str(files["summary"]), "GITHUB_ENV": str(files["env"]),
    }  # fmt: skip
    script = job.temp / f"{step_id}.sh"
    script.write_text(job.substitute(step["run"]))
    done = subprocess.run([*BASH, str(script)], cwd=job.workspace, env=env, capture_output=True, text=True, timeout=300)
    job.stdout += done.stdout + done.stderr
    job.failed |= done.returncode != 0
    job.summary += files["summary"].read_text()
    job.outputs[step_id] = dict(line.split("=", 1) for line in files["output"].read_text().splitlines())


@pytest.fixture
def job(venv, tmp_path) -> Job:
    home, _ = venv
    (tmp_path / "workspace").mkdir()
    (tmp_path / "temp").mkdir()
    return Job(workspace=tmp_path / "workspace", temp=tmp_path / "temp", env=clean_env(home))


def dtmf_answers_201(exchange: Relayed) -> None:
    if exchange.operation == "POST dtmf" and exchange.status == 202:
        exchange.status = 201  # the spec says 202


# The plumbing, not the fuzzing: one example per operation; every behaviour test still runs.
SHORT = {"phases": "examples", "max-examples": "1"}


def test_the_action_is_composite_takes_its_inputs_and_never_a_token():
    assert ACTION["runs"]["using"] == "composite"
    assert {"base-url", "min-coverage", "rate-limit", "wait-for", "report-dir", "artifact-name"} <= set(
        ACTION["inputs"]
    )
    assert not [name for name in ACTION["inputs"] if "token" in name], "the token goes through env, as a secret"
    for step in ACTION["runs"]["steps"]:
        if "run" in step:  # inputs reach scripts as variables, never spliced into the script itself
            assert not EXPRESSION.search(step["run"]), step["name"]


def test_the_action_verifies_a_served_simulator_uploads_the_reports_and_writes_the_summary(venv, job):
    with served(venv) as sim:
        job.env |= {name: sim[name] for name in IDS}  # the job's env:, as secrets would be
        token = sim["TVX_API_TOKEN"]
        outputs = run_action(job, **{"base-url": sim["TVX_BASE_URL"], "min-coverage": "100", "rate-limit": "500"},
                             **SHORT)  # fmt: skip
    assert not job.failed, job.stdout[-4000:]
    reports = job.workspace / "contract-reports"
    assert outputs == {"result": "passed", "exit-code": "0", "coverage": "100.0", "report-dir": str(reports)}
    assert "at most 500 requests/s (TVX_RATE_LIMIT)" in job.stdout and "Result:      PASSED" in job.stdout
    assert "every dimension must reach 100% (simulator)" in job.stdout
    assert job.summary.startswith("## Contract suite: passed\n") and "## Contract coverage (simulator)" in job.summary
    link = f"**[Download the reports]({ARTIFACT_URL})** (the artifact `contract-reports`): open `contract.html` in it."
    assert f"report folder.\n\n{link}\n" in job.summary, "the artifact's link, right below the Reports line"
    assert "| Invariants checked, none broken | 24 | 24 | 100.0 | 100 |" in job.summary
    assert job.uploaded == {"contract-reports": reports}
    uploaded = {path.name: path.read_text(errors="replace") for path in reports.iterdir()}
    assert {"contract.html", "coverage.json", "schemathesis-junit.xml", "behaviour-junit.xml"} <= set(uploaded)
    assert "schemathesis.har" in uploaded and not [name for name, text in uploaded.items() if token in text], (
        "an artifact is readable by anyone who can read the repository: the token must be in no report"
    )
    assert [line.split(":")[0] for line in job.log] == [
        "Set up Python", "Install tryvox-contract", "Run the contract suite", "Upload the reports",
        "Write the job summary",
    ]  # fmt: skip
    assert all("stood in" in line or "ran" in line for line in job.log), job.log


def test_the_action_fails_against_a_drifting_api_and_still_uploads_the_reports(venv, job):
    with served(venv) as sim, FaultProxy(sim["TVX_BASE_URL"], after=dtmf_answers_201) as url:
        job.env |= {name: sim[name] for name in IDS}
        outputs = run_action(job, **{"base-url": url, "report-dir": "drift", "artifact-name": "drift"}, **SHORT)
    assert job.failed, job.stdout[-4000:]
    # The installed command's own account of the failure, as a run of `tryvox-contract` prints it:
    assert "FAIL ST103 Undocumented status code: 1" in job.stdout and "POST /v1/voice/accounts/{auth_id}/calls/" in (
        job.stdout
    )
    assert "FAIL test_behaviour_dtmf.py::test_valid_digits_are_sent_and_echoed[1234*#]" in job.stdout
    assert "Result:      FAILED: schemathesis; behaviour tests; coverage of statuses" in job.stdout
    reports = job.workspace / "drift"
    assert outputs["result"] == "failed" and outputs["exit-code"] == "1" and float(outputs["coverage"]) < 100
    assert "::error title=tryvox contract: failed::FAILED: schemathesis; behaviour tests; coverage of statuses" in (
        job.stdout
    )
    assert job.summary.startswith("## Contract suite: FAILED\n")
    assert "| ST103 Undocumented status code | 1 | POST /v1/voice/accounts/{auth_id}/calls/{call_uuid}/dtmf |" in (
        job.summary
    )
    assert "- `test_behaviour_dtmf.py::test_valid_digits_are_sent_and_echoed[1234*#]`" in job.summary
    # Each failure named with the request that shows it, the token filtered out.
    assert (
        "- **ST103 Undocumented status code** (`status_code_conformance`) on `POST /v1/voice/accounts/" in job.summary
    )
    assert "; its last request, answered 201:\n\n  ```sh\n  curl -X POST" in job.summary
    assert sim["TVX_API_TOKEN"] not in job.summary and "[Filtered]" in job.summary
    assert f"({ARTIFACT_URL})** (the artifact `drift`)" in job.summary
    assert job.log[-2].startswith("Upload the reports: stood in") and job.uploaded == {"drift": reports}
    assert "ST103 Undocumented status code" in (reports / "contract.html").read_text()


def test_a_run_that_cannot_start_says_why_and_what_it_is(venv, job):
    job.env |= {"TVX_API_TOKEN": "tvx_sk_live_0123", "TVX_AUTH_ID": "acct", "TVX_CALL_UUID": "a" * 8}
    outputs = run_action(job, **{"base-url": "https://api.example.com", "upload-reports": "false"})
    assert job.failed and outputs["result"] == "not-started" and outputs["exit-code"] == "2"
    assert outputs["coverage"] == ""
    assert "::error title=tryvox contract: not-started::contract: TVX_API_TOKEN is a live key" in job.stdout
    assert job.summary.startswith("## Contract suite: could not start\n\n```\nTVX_API_TOKEN is a live key")
    assert "tvx_sk_live_0123" not in job.stdout + job.summary
    assert job.log[-2].startswith("Upload the reports: skipped, its condition") and not job.uploaded
    assert "Download the reports" not in job.summary, "nothing uploaded, nothing linked"
