"""The built distributions installed as someone outside this repository installs them: fixtures and helpers shared by
test_dist.py and test_action.py (conftest.py offers the fixtures to both, so the venv is made once a session).

`dist`: the folder `make dist` wrote (TRYVOX_DIST_DIR), or the Python distributions built into a temporary folder.
`venv`: a fresh venv in a temporary directory outside the repository with only the three wheels (their dependencies
from the package index, held to the versions of requirements.lock) and pytest; nothing of the checkout on its
`sys.path` or PATH.
"""

import os
import re
import select
import subprocess
import sys
import time
import tomllib
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from tryvox_sim.testing.control_client import parse_exports, ready

ROOT = Path(__file__).resolve().parents[1]
LOCK = dict(line.split("==") for line in (ROOT / "requirements.lock").read_text().splitlines() if "==" in line)
SPEC_VERSION = yaml.safe_load((ROOT / "openapi" / "call-actions.yaml").read_text())["info"]["version"]
CLIENT_VERSION = yaml.safe_load((ROOT / "openapi" / "client-config.yaml").read_text())["package_version_override"]
SIM_VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
CONTRACT_VERSION = tomllib.loads((ROOT / "contract_tests" / "pyproject.toml").read_text())["project"]["version"]
SOURCES = (ROOT, ROOT / "generated", ROOT / "contract_tests")  # tryvox-sim, the client, tryvox-contract


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


PINS = {normalize(name): version for name, version in LOCK.items()}


@pytest.fixture(scope="session")
def dist(tmp_path_factory) -> Path:
    if os.environ.get("TRYVOX_DIST_DIR"):
        return Path(os.environ["TRYVOX_DIST_DIR"])
    out = tmp_path_factory.mktemp("dist")
    for source in SOURCES:
        build = [sys.executable, "-m", "build", "--no-isolation", "--quiet", "--outdir", str(out), str(source)]
        subprocess.run(build, check=True, capture_output=True)
    return out


def built(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {dist}, found {[p.name for p in found]}"
    return found[0]


@pytest.fixture(scope="session")
def venv(dist, tmp_path_factory) -> tuple[Path, Path]:
    """(the user's project folder, its venv's python)."""
    home = tmp_path_factory.mktemp("user-project")
    assert ROOT not in home.parents
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home / "venv")], check=True)
    python = home / "venv" / "bin" / "python"
    wheels = [built(dist, f"{name}-*.whl") for name in ("tryvox_sim", "tryvox_call_actions_client", "tryvox_contract")]
    # This venv's uv installs into the new one (--python): the user's venv gets no installer, only what is asked. uv
    # reads a wheel's metadata as pip does, resolving the same versions (the lock's), in a fifth of pip's time.
    install = [str(Path(sys.executable).parent / "uv"), "pip", "install", "--quiet", "--system-certs"]
    install += ["--python", str(python)]
    install += ["--constraint", str(ROOT / "requirements.lock"), *map(str, wheels), f"pytest=={LOCK['pytest']}"]
    subprocess.run(install, check=True, cwd=home, env=clean_env(home))
    return home, python


def clean_env(home: Path) -> dict:
    """No repository path anywhere: PATH has the new venv's bin and the system's, no PYTHONPATH, no TVX_*."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("TVX_", "PYTHON", "VIRTUAL_ENV"))}
    return {**keep, "PATH": f"{home / 'venv' / 'bin'}:/usr/local/bin:/usr/bin:/bin"}


def run(venv, *args, env_extra=None, check=False, timeout=120) -> subprocess.CompletedProcess:
    home, _ = venv
    env = {**clean_env(home), **(env_extra or {})}
    return subprocess.run(args, cwd=home, env=env, capture_output=True, text=True, timeout=timeout, check=check)


def serve(venv) -> tuple[subprocess.Popen, dict]:
    """`tryvox-sim serve --port 0` from the venv's bin; returns the process and the export lines it printed."""
    home, _ = venv
    command = [str(home / "venv" / "bin" / "tryvox-sim"), "serve", "--port", "0"]
    with open(home / "serve.log", "wb") as log:
        process = subprocess.Popen(command, cwd=home, env=clean_env(home), stdout=subprocess.PIPE, stderr=log)
    output, deadline = b"", time.monotonic() + 30
    while not ready(found := parse_exports(output.decode())) and time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if select.select([process.stdout], [], [], 0.5)[0]:
            output += os.read(process.stdout.fileno(), 4096)
    assert ready(found), f"tryvox-sim serve printed {output!r}; log: {(home / 'serve.log').read_text()}"
    return process, found


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


@contextmanager
def served(venv):
    """The installed `tryvox-sim serve` while the block runs: its export lines (TVX_BASE_URL, …)."""
    process, exports = serve(venv)
    try:
        yield exports
    finally:
        stop(process)
    assert process.returncode == 0  # stopped cleanly by SIGTERM
