"""`make image-test`: the container images, run as a user would run them.

    python -m tools.image_test base [IMAGE]   print a base image to build on: IMAGE (default python:3.11-slim)
                                              when present or pullable, else a local Debian bookworm base
    python -m tools.image_test run IMAGE CONTRACT_IMAGE
                                              run the simulator IMAGE on a network of its own with its port
                                              published on loopback, wait until Docker reports it healthy, run
                                              CONTRACT_IMAGE on that network against it by its name (as a CI
                                              service is reached) with the TVX_* lines it printed, the reports in
                                              a mounted folder, and once against a port with nothing behind it
                                              (exit 2); stop it; print sizes and timings

No registry is reachable on some machines, so the fallback base is built from Debian packages: mmdebstrap
(bookworm's python3 is 3.11, the wheels' interpreter) piped into `docker import`.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tryvox_sim.testing.control_client import parse_exports

LOCAL_BASE = "tryvox-sim-base:bookworm"
# Docs, manuals and translations left out, as in Debian's own slim images.
MMDEBSTRAP = [
    "mmdebstrap", "--quiet", "--variant=minbase", "--include=python3,python3-venv,ca-certificates",
    "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-include=/usr/share/doc/*/copyright",
    "--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/info/*",
    "--dpkgopt=path-exclude=/usr/share/locale/*", "bookworm", "-",
]  # fmt: skip
HEALTHY_WITHIN_S = 60
CONTAINER_PORT = 4010


def log(message: str) -> None:
    print(f"image-test: {message}", file=sys.stderr, flush=True)


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True).stdout.strip()


def succeeds(*command: str) -> bool:
    return subprocess.run(command, capture_output=True).returncode == 0


def base(wanted: str) -> str:
    if succeeds("docker", "image", "inspect", wanted) or succeeds("docker", "pull", "--quiet", wanted):
        return wanted
    log(f"{wanted} cannot be pulled: building on a local Debian bookworm base, {LOCAL_BASE}")
    if not succeeds("docker", "image", "inspect", LOCAL_BASE):
        if not shutil.which("mmdebstrap"):
            sys.exit("image-test: mmdebstrap is missing (apt-get install mmdebstrap)")
        started = time.monotonic()
        with subprocess.Popen(MMDEBSTRAP, stdout=subprocess.PIPE) as rootfs:
            subprocess.run(["docker", "import", "-", LOCAL_BASE], stdin=rootfs.stdout, check=True, capture_output=True)
        if rootfs.returncode:
            sys.exit(f"image-test: mmdebstrap failed with exit code {rootfs.returncode}")
        log(f"built {LOCAL_BASE} in {time.monotonic() - started:.0f} s")
    return LOCAL_BASE


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(container: str, url: str, started: float) -> tuple[float, float]:
    """Seconds from `docker run` until the published port answers, and until Docker reports `healthy`."""
    answered = None
    while time.monotonic() - started < HEALTHY_WITHIN_S:
        state = json.loads(docker("inspect", "--format", "{{json .State}}", container))
        if not state["Running"]:
            sys.exit(f"image-test: the container stopped:\n{logs(container)[1]}")
        if answered is None:
            try:
                if httpx.get(f"{url}/_sim/health", timeout=1).status_code == 200:
                    answered = time.monotonic() - started
            except httpx.HTTPError:
                pass
        if state["Health"]["Status"] == "healthy":
            return answered or time.monotonic() - started, time.monotonic() - started
        time.sleep(0.05)
    sys.exit(f"image-test: not healthy within {HEALTHY_WITHIN_S} s:\n{logs(container)[1]}")


def logs(container: str) -> tuple[str, str]:
    done = subprocess.run(["docker", "logs", container], capture_output=True, text=True)
    return done.stdout, done.stderr


# What the Dockerfile promises of both images.
PROMISES = {
    "runs as a non-root user": ["sh", "-c", 'test "$(id -u)" != 0'],
    "has no pip in its venv": ["python", "-c", "import importlib.util as u; assert not u.find_spec('pip')"],
    "has no compiler": ["sh", "-c", "for c in cc gcc clang; do if command -v $c; then exit 1; fi; done"],
}


def check_the_image(name: str, run_in) -> None:
    """`run_in(command)`: the docker command line that runs `command` in the image."""
    for promise, command in PROMISES.items():
        if not succeeds(*run_in(command)):
            sys.exit(f"image-test: {name} is expected to be an image that {promise}")


def run_contract(image: str, network: str, reports: Path, ids: dict[str, str], *args: str) -> tuple[int, str, float]:
    """The contract image on the simulator's network, as the user running this (reports in a mounted folder)."""
    started = time.monotonic()
    done = subprocess.run(
        ["docker", "run", "--rm", "--network", network, "--user", f"{os.getuid()}:{os.getgid()}",
         "--volume", f"{reports}:/work/reports", *(f"--env={name}={value}" for name, value in ids.items()), image,
         *args],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def run(image: str, contract_image: str) -> int:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    host = network = f"tryvox-image-test-{port}"  # the simulator is reached by its name on its own network
    sizes = {i: int(docker("image", "inspect", "--format", "{{.Size}}", i)) / 1e6 for i in (image, contract_image)}
    docker("network", "create", network)
    started = time.monotonic()
    container = docker(
        "run", "--detach", "--name", host, "--network", network, "--publish", f"127.0.0.1:{port}:{CONTAINER_PORT}",
        "--env", f"TVX_SIM_PUBLIC_URL={url}", image,
    )  # fmt: skip
    try:
        answered, healthy = wait_until_healthy(container, url, started)
        stdout, stderr = logs(container)
        printed = parse_exports(stdout)
        log(f"the container printed:\n{stdout}{stderr}")
        if printed.get("TVX_BASE_URL") != url:
            sys.exit(f"image-test: the container printed TVX_BASE_URL={printed.get('TVX_BASE_URL')}, expected {url}")
        check_the_image(image, lambda command: ["docker", "exec", container, *command])
        check_the_image(contract_image, lambda command: ["docker", "run", "--rm", "--entrypoint", *command[:1],
                                                         contract_image, *command[1:]])  # fmt: skip
        docs = httpx.get(f"{url}/docs", timeout=10)  # the page the wheel carries, filled with the printed values
        if docs.status_code != 200 or f"{url}/v1/voice/accounts/{printed['TVX_AUTH_ID']}/" not in docs.text:
            sys.exit(f"image-test: /docs answered {docs.status_code} without the samples filled for {url}")
        ids = {name: printed[name] for name in ("TVX_AUTH_ID", "TVX_API_TOKEN", "TVX_CALL_UUID")}
        with tempfile.TemporaryDirectory(prefix="tryvox-image-test-") as folder:
            reports = Path(folder)
            # A simulator, said outright (--control-url): a busy machine cannot make it pass for a deployment.
            inside = f"http://{host}:{CONTAINER_PORT}"
            code, output, contract_s = run_contract(
                contract_image, network, reports, ids, "--base-url", inside, "--control-url", inside, "--wait-for", "10"
            )
            log(f"{contract_image} --base-url {inside} printed:\n{output}")
            written = sorted(path.name for path in reports.iterdir())
            if code != 0 or "Result:      PASSED" not in output or "contract.html" not in written:
                sys.exit(f"image-test: {contract_image} exited {code}; the reports folder holds {written}")
            nothing = f"http://{host}:9"  # the simulator's container, a port nothing listens on
            refused, output, _ = run_contract(contract_image, network, reports, ids, "--base-url", nothing)
            if refused != 2 or f"contract: preflight: {nothing} is not reachable" not in output:
                sys.exit(f"image-test: against {nothing} {contract_image} exited {refused}, expected 2:\n{output}")
    finally:
        subprocess.run(["docker", "stop", "--time", "10", container], capture_output=True)
        exit_code = docker("inspect", "--format", "{{.State.ExitCode}}", container)
        subprocess.run(["docker", "rm", container], capture_output=True)
        subprocess.run(["docker", "network", "rm", network], capture_output=True)
    log(
        f"{image}: {sizes[image]:.0f} MB; from `docker run` the port answered after {answered:.2f} s and Docker "
        f"reported healthy after {healthy:.2f} s; it exited {exit_code} on docker stop. {contract_image}: "
        f"{sizes[contract_image]:.0f} MB; its run against the simulator's container took {contract_s:.0f} s and "
        f"passed, the reports ({len(written)} files) in the mounted folder; against a closed port it exited 2."
    )
    return int(exit_code != "0")


def main(argv: list[str]) -> int:
    if argv[:1] == ["base"] and len(argv) <= 2:
        print(base(argv[1] if len(argv) == 2 else "python:3.11-slim"))
        return 0
    if argv[:1] == ["run"] and len(argv) == 3:
        return run(argv[1], argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
