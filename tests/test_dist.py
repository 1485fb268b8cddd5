"""The built distributions, used as someone outside this repository would use them.

A fresh venv in a temporary directory outside the repository gets only the three wheels (their dependencies come
from the package index, held to the versions of requirements.lock) and pytest; nothing of the checkout is on its
`sys.path` (tests/installed.py). There the simulator serves, the client drives it, and tryvox-contract verifies it
(its failure against a drifting one is tests/test_action.py's, through the Action's steps on the same venv). The
TypeScript SDK's npm tarball goes into a Node project in another temporary directory with only `typescript` beside
it, and a strict program compiled against it runs against that venv's `tryvox-sim serve`.
`make dist-test` runs this file on what `make dist` wrote (TRYVOX_DIST_DIR); run alone it builds them first. Not
part of `make unit`: it installs packages.
"""

import json
import os
import re
import socket
import subprocess
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from installed import (
    CLIENT_VERSION,
    CONTRACT_VERSION,
    PINS,
    ROOT,
    SIM_VERSION,
    SPEC_VERSION,
    built,
    normalize,
    run,
    serve,
    served,
)


def metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(archive.read(name).decode())


def test_the_wheel_carries_the_spec_files_and_the_docs_page_byte_for_byte(dist):
    docs = ROOT / "build" / "docs" / "index.html"
    assert docs.is_file(), "run `make docs` first: the wheel carries the rendered page (make dist-test does)"
    with zipfile.ZipFile(built(dist, "tryvox_sim-*.whl")) as archive:
        packaged = {n: archive.read(n) for n in archive.namelist() if n.startswith("tryvox_sim/openapi/")}
    assert packaged == {
        "tryvox_sim/openapi/call-actions.yaml": (ROOT / "openapi" / "call-actions.yaml").read_bytes(),
        "tryvox_sim/openapi/simulator.yaml": (ROOT / "openapi" / "simulator.yaml").read_bytes(),
        "tryvox_sim/openapi/call-actions.html": docs.read_bytes(),
    }
    with tarfile.open(built(dist, "tryvox_sim-*.tar.gz")) as sdist:  # a wheel built from the sdist gets it too
        assert sdist.extractfile(f"tryvox_sim-{SIM_VERSION}/build/docs/index.html").read() == docs.read_bytes()


def test_the_contract_wheel_carries_the_suite_and_the_files_it_reads_byte_for_byte(dist):
    """The command finds everything beside its modules: the behaviour tests, conftest.py, schemathesis.toml,
    coverage.toml, pytest.ini; and only the suite (the drift proofs' fault proxy is the repository's, in tests/)."""
    listed = subprocess.run(
        ["git", "ls-files", "contract_tests/tryvox_contract"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    suite = {name.removeprefix("contract_tests/"): (ROOT / name).read_bytes() for name in listed}
    read_beside = {
        f"tryvox_contract/{name}" for name in ("schemathesis.toml", "coverage.toml", "pytest.ini", "conftest.py")
    }
    assert read_beside <= set(suite)
    assert not any("fault_proxy" in name for name in suite)
    # The spec's Arazzo workflows, copied in from openapi/ when the package is built (contract_tests/hatch_build.py).
    suite["tryvox_contract/call-actions.arazzo.yaml"] = (ROOT / "openapi" / "call-actions.arazzo.yaml").read_bytes()
    with zipfile.ZipFile(built(dist, "tryvox_contract-*.whl")) as archive:
        packaged = {n: archive.read(n) for n in archive.namelist() if ".dist-info/" not in n}
    assert packaged == suite
    with tarfile.open(built(dist, "tryvox_contract-*.tar.gz")) as sdist:  # a wheel built from the sdist is the same
        inside = {m.name.split("/", 1)[1] for m in sdist.getmembers() if m.isfile()}
    assert set(suite) | {"pyproject.toml", "README.md", "LICENSE", "PKG-INFO"} <= inside
    assert not any("fault_proxy" in name for name in inside)


def test_the_wheels_add_no_generic_top_level_names(dist):
    for package in ("tryvox_sim", "tryvox_call_actions_client", "tryvox_contract"):
        with zipfile.ZipFile(built(dist, f"{package}-*.whl")) as archive:
            tops = {n.split("/")[0] for n in archive.namelist() if ".dist-info/" not in n}
        assert tops == {package}


def test_metadata_is_complete_and_pinned(dist):
    sim = metadata(built(dist, "tryvox_sim-*.whl"))
    client = metadata(built(dist, "tryvox_call_actions_client-*.whl"))
    contract = metadata(built(dist, "tryvox_contract-*.whl"))
    for meta in (sim, client, contract):
        assert meta["License-Expression"] == "Apache-2.0" and meta["License-File"] == "LICENSE"
        assert meta["Requires-Python"] == ">=3.11"
        assert meta["Description-Content-Type"] == "text/markdown" and len(meta.get_payload()) > 1000
        urls = dict(url.split(", ", 1) for url in meta.get_all("Project-URL"))
        assert {"Homepage", "Source", "Issues", "Changelog"} <= set(urls)
        classifiers = meta.get_all("Classifier")
        assert "Programming Language :: Python :: 3.11" in classifiers and len(classifiers) >= 8
    assert client["Version"] == CLIENT_VERSION  # its own, gated by tools/version_check.py
    pinned = f"tryvox-call-actions-client=={CLIENT_VERSION}"
    assert any(pinned in requirement for requirement in sim.get_all("Requires-Dist"))  # the `client` extra's pin
    runtime = [r for r in sim.get_all("Requires-Dist") if "extra ==" not in r]
    assert not any(tool in r for r in runtime for tool in ("schemathesis", "openapi-python-client", "pytest"))
    for requirement in runtime:  # exact pins, the versions of requirements.lock
        name, version = re.match(r"([A-Za-z0-9_.-]+)==([^;\s]+)", requirement).groups()
        assert PINS[normalize(name)] == version, requirement
    assert f"tryvox-call-actions-client=={client['Version']}; extra == 'client'" in sim.get_all("Requires-Dist")
    # tryvox-contract: its own version; every dependency exact, this repository's packages at their versions.
    assert contract["Version"] == CONTRACT_VERSION
    ours = {"tryvox-sim": SIM_VERSION, "tryvox-call-actions-client": CLIENT_VERSION}
    required = dict(re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", r).groups() for r in contract.get_all("Requires-Dist"))
    assert required == {**ours, "schemathesis": PINS["schemathesis"], "pytest": PINS["pytest"],
                        "httpx": PINS["httpx"], "jsonschema-rs": PINS["jsonschema-rs"]}  # fmt: skip


# -- installed in a fresh venv outside the repository


PROBE = """
import json, sys
import tryvox_call_actions_client, tryvox_contract, tryvox_sim
try:
    import simulator
    generic = simulator.__file__
except ModuleNotFoundError:
    generic = None
print(json.dumps({"path": sys.path, "prefix": sys.prefix, "sim": tryvox_sim.__file__,
                  "client": tryvox_call_actions_client.__file__, "contract": tryvox_contract.__file__,
                  "simulator": generic}))
"""


def test_installed_packages_come_from_the_venv_alone(venv):
    home, python = venv
    found = json.loads(run(venv, str(python), "-c", PROBE, check=True).stdout)
    assert not [entry for entry in found["path"] if entry.startswith(str(ROOT))]
    assert found["prefix"] == str(home / "venv")
    for module in ("sim", "client", "contract"):
        assert Path(found[module]).is_relative_to(home / "venv" / "lib"), found[module]
    assert found["simulator"] is None  # `import simulator` fails: no generic top-level names
    version = run(venv, "tryvox-sim", "--version", check=True).stdout
    assert version.strip() == f"tryvox-sim {SIM_VERSION} (Call Actions API spec {SPEC_VERSION})"
    version = run(venv, "tryvox-contract", "--version", check=True).stdout
    assert version.strip() == (
        f"tryvox-contract {CONTRACT_VERSION} (Call Actions API spec {SPEC_VERSION}, tryvox-sim {SIM_VERSION})"
    )


SIX_OPERATIONS = """
import json, os
from tryvox_call_actions_client import AuthenticatedClient
from tryvox_call_actions_client.api.call_actions import (
    play_audio, send_dtmf, speak_text, start_recording, stop_recording, transfer_call)
from tryvox_call_actions_client.models import (
    DtmfRequest, PlayRequest, RecordRequest, RecordRequestFormat, SpeakRequest, TransferRequest)

client = AuthenticatedClient(base_url=os.environ["TVX_BASE_URL"], token=os.environ["TVX_API_TOKEN"])
ids = (os.environ["TVX_AUTH_ID"], os.environ["TVX_CALL_UUID"])
results = [
    start_recording.sync(*ids, client=client, body=RecordRequest(format_=RecordRequestFormat.WAV)),
    play_audio.sync(*ids, client=client, body=PlayRequest(url="https://cdn.example.com/hold.mp3")),
    speak_text.sync(*ids, client=client, body=SpeakRequest(text="Hello from outside the repository")),
    send_dtmf.sync(*ids, client=client, body=DtmfRequest(digits="42#")),
    stop_recording.sync(*ids, client=client),
    transfer_call.sync(*ids, client=client, body=TransferRequest(to="+15005550001", caller_id="+14155551234")),
]
docs = client.get_httpx_client().get("/docs")  # the page packaged in the wheel, with this simulator's values
assert docs.status_code == 200 and os.environ["TVX_BASE_URL"] in docs.text, (docs.status_code, docs.text[:300])
# The client's hand-written layer made it into the wheel: typed errors and the webhook checker with its schemas.
from tryvox_call_actions_client import errors
from tryvox_call_actions_client.webhooks import parse_call_hangup
strict = AuthenticatedClient(base_url=os.environ["TVX_BASE_URL"], token=client.token, raise_on_error=True)
try:
    stop_recording.sync(*ids, client=strict)
    raise AssertionError("a stop during the transfer must raise ConflictError")
except errors.ConflictError as error:
    assert error.code == "call_not_in_progress", error  # the transfer above is under way
details = parse_call_hangup(client.get_httpx_client().get(f"/_sim/calls/{ids[1]}").content)
assert str(details.call_uuid) == ids[1] and details.recordings[0].url.endswith(".wav"), details
print(json.dumps([[type(r).__name__, r.to_dict()] for r in results]))
"""


def test_the_served_simulator_answers_all_six_operations_and_its_docs_page(venv):
    home, python = venv
    process, exports = serve(venv)
    try:
        assert exports["TVX_BASE_URL"].startswith("http://127.0.0.1:")
        (home / "six_operations.py").write_text(SIX_OPERATIONS)
        done = run(venv, str(python), "six_operations.py", env_extra=exports)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert [(kind, body["status"]) for kind, body in results] == [
        ("RecordingStartedResponse", "recording"),
        ("PlayResponse", "playing"),
        ("SpeakResponse", "speaking"),
        ("DtmfResponse", "sent"),
        ("RecordingStoppedResponse", "stopped"),
        ("TransferResponse", "transferring"),
    ]
    assert results[4][1]["url"].endswith(".wav") and results[3][1]["digits"] == "42#"
    assert process.returncode == 0  # stopped cleanly by SIGTERM


# -- tryvox-contract installed: it verifies the installed simulator (test_action.py: it fails against a drifting one)

# The plumbing, not the fuzzing: one example per operation; every behaviour test still runs, so the coverage gate
# (100% against a simulator) still holds.
SHORT = ("--phases", "examples", "--max-examples", "1")
IDS = ("TVX_API_TOKEN", "TVX_AUTH_ID", "TVX_CALL_UUID")


def test_tryvox_contract_passes_against_the_installed_simulator(venv):
    home, _ = venv
    with served(venv) as sim:
        done = run(venv, "tryvox-contract", "--base-url", sim["TVX_BASE_URL"], *SHORT,
                   env_extra={name: sim[name] for name in IDS}, timeout=300)  # fmt: skip
    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-2000:]
    assert '[simulator: control plane found, GET /_sim/health answered 200 {"status": "ok"}]' in out
    assert "Coverage:    100.0% in total; every dimension must reach 100% (simulator)" in out
    assert re.search(r"Behaviour:   \d{3} tests, 0 failed, 0 errors, 0 skipped", out), out[-3000:]
    assert out.rstrip().splitlines()[-2] == "Result:      PASSED"
    assert f"Reports:     {home / 'reports'}/contract.html" in out  # ./reports of the folder it ran in
    reports = {path.name for path in (home / "reports").iterdir()}
    assert {"contract.html", "coverage.json", "schemathesis-junit.xml", "behaviour-junit.xml"} <= reports
    assert not (home / ".hypothesis").exists(), "nothing but the reports is written where it runs"


def readme_test_file() -> str:
    """The test file of "Get started: the Python integrator": the tryvox_sim fixture and simulated_api()."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "get-started" / "python.md").read_text(), re.S)
    found = [code for code in blocks if "(tryvox_sim):" in code and "with simulated_api(" in code]
    assert len(found) == 1, "expected one python block using the tryvox_sim fixture and simulated_api() on the page"
    return found[0]


def test_the_readme_test_file_passes_in_a_foreign_project(venv):
    home, python = venv
    (home / "test_calls.py").write_text(readme_test_file())
    done = run(venv, str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_calls.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


# -- the TypeScript SDK's npm tarball, in a Node project outside the repository with only typescript beside it

SDK_PACKAGE = json.loads((ROOT / "typescript-sdk" / "package.json").read_text())

TS_PROGRAM = """
import {
  type TransferAnsweredEvent, ConflictError, TryvoxConnectionError, createTryvoxClient, parseTransferAnswered,
  playAudio, sendDtmf, speakText, startRecording, stopRecording, transferCall,
} from "@tryvox/call-actions";

const SIM = __SIMULATOR__;
const client = createTryvoxClient({ token: SIM.TVX_API_TOKEN, baseUrl: SIM.TVX_BASE_URL });
const path = { auth_id: SIM.TVX_AUTH_ID, call_uuid: SIM.TVX_CALL_UUID };
const throwOnError = true;

const results: [string, string][] = [];
const started = await startRecording({ client, path, body: { format: "wav" }, throwOnError });
results.push(["recording", started.data.status]);
const url = "https://cdn.example.com/hold.mp3";
results.push(["playing", (await playAudio({ client, path, body: { url }, throwOnError })).data.status]);
results.push(["speaking", (await speakText({ client, path, body: { text: "Hello" }, throwOnError })).data.status]);
results.push(["sent", (await sendDtmf({ client, path, body: { digits: "42#" }, throwOnError })).data.digits]);
results.push(["stopped", (await stopRecording({ client, path, throwOnError })).data.url.slice(-4)]);
const again = await stopRecording({ client, path });
results.push(["problem", again.error?.code ?? "none"]);
try {
  await stopRecording({ client, path, throwOnError });
} catch (error) {
  results.push(["thrown", error instanceof ConflictError ? `${error.status} ${error.code}` : String(error)]);
}
const transfer = await transferCall({ client, path, body: { to: "+15005550001" }, throwOnError });
results.push(["transferring", transfer.data.status]);
const answered: TransferAnsweredEvent = parseTransferAnswered(JSON.stringify({
  transfer_uuid: transfer.data.transfer_uuid, call_uuid: path.call_uuid, to: "+15005550001",
  caller_id: null, status: "answered",
}));
results.push(["webhook", answered.status]);
const unreachable = createTryvoxClient({ token: "tvx_sk_test_x", baseUrl: SIM.UNREACHABLE, maxRetries: 0 });
try {
  await sendDtmf({ client: unreachable, path, body: { digits: "1" } });
} catch (error) {
  const sent = error instanceof TryvoxConnectionError ? `requestSent=${error.requestSent}` : String(error);
  results.push(["refused", sent]);
}
console.log(JSON.stringify(results));
"""


def npm(home: Path, *args: str) -> subprocess.CompletedProcess:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("TVX_", "npm_"))}
    done = subprocess.run(["npm", *args], cwd=home, env=keep, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def ts_project(dist, tmp_path_factory) -> Path:
    """A Node project outside the repository: the packed SDK and the SDK's pinned typescript, nothing else."""
    tarballs = sorted(dist.glob("tryvox-call-actions-*.tgz"))
    if not tarballs and not os.environ.get("TRYVOX_DIST_DIR"):  # run alone: pack it beside the wheels
        subprocess.run(["make", "-s", "ts-dist", f"DIST_DIR={dist}"], cwd=ROOT, check=True, capture_output=True)
        tarballs = sorted(dist.glob("tryvox-call-actions-*.tgz"))
    assert [t.name for t in tarballs] == [f"tryvox-call-actions-{SDK_PACKAGE['version']}.tgz"]
    home = tmp_path_factory.mktemp("ts-user-project")
    assert ROOT not in home.parents
    (home / "package.json").write_text(json.dumps({"name": "user-project", "private": True, "type": "module"}))
    typescript = SDK_PACKAGE["devDependencies"]["typescript"]
    npm(home, "install", "--no-audit", "--no-fund", "--loglevel=error", str(tarballs[0]), f"typescript@{typescript}")
    return home


def test_the_npm_tarball_carries_the_built_package_and_its_readme(ts_project):
    installed = ts_project / "node_modules" / "@tryvox" / "call-actions"
    manifest = json.loads((installed / "package.json").read_text())
    assert manifest["version"] == SDK_PACKAGE["version"] and manifest["dependencies"] == SDK_PACKAGE["dependencies"]
    assert (installed / "lib" / "index.js").is_file() and (installed / "lib" / "index.d.ts").is_file()
    assert not (installed / "src").exists() and not (installed / "test").exists()
    assert (installed / "README.md").read_text() == (ROOT / "typescript-sdk" / "README.md").read_text()
    top = sorted(p.name for p in (ts_project / "node_modules").iterdir() if not p.name.startswith("."))
    assert top == ["@tryvox", "typescript", "undici"]  # the SDK, its one dependency, and typescript


def test_a_strict_program_compiles_against_the_tarball_and_runs_against_the_installed_simulator(venv, ts_project):
    process, exports = serve(venv)
    # A loopback port nothing listens on: bound, never listened on, and held while the program runs, so no process
    # running beside this test can take it.
    refused = socket.socket()
    try:
        refused.bind(("127.0.0.1", 0))
        unreachable = f"http://127.0.0.1:{refused.getsockname()[1]}"
        values = {**{k: exports[k] for k in sorted(exports)}, "UNREACHABLE": unreachable}
        program = TS_PROGRAM.replace("__SIMULATOR__", json.dumps(values))
        (ts_project / "program.ts").write_text(program)
        options = {"strict": True, "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext"}
        (ts_project / "tsconfig.json").write_text(json.dumps({"compilerOptions": options, "files": ["program.ts"]}))
        tsc = subprocess.run(
            ["node", "node_modules/typescript/bin/tsc", "-p", "."], cwd=ts_project, capture_output=True, text=True
        )
        assert tsc.returncode == 0, tsc.stdout + tsc.stderr  # no @types/node: the SDK's types need none
        ran = subprocess.run(["node", "program.js"], cwd=ts_project, capture_output=True, text=True, timeout=60)
    finally:
        refused.close()
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert json.loads(ran.stdout) == [
        ["recording", "recording"],
        ["playing", "playing"],
        ["speaking", "speaking"],
        ["sent", "42#"],
        ["stopped", ".wav"],
        ["problem", "no_active_recording"],
        ["thrown", "409 no_active_recording"],
        ["transferring", "transferring"],
        ["webhook", "answered"],
        ["refused", "requestSent=false"],
    ]
