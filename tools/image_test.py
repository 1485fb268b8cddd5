"""`make image-test`: the container image, run as a user would run it.

    python -m tools.image_test base [IMAGE]   print a base image to build on: IMAGE (default python:3.11-slim)
                                              when present or pullable, else a local Debian bookworm base
    python -m tools.image_test run IMAGE      run IMAGE with its port published on loopback, wait until Docker
                                              reports it healthy, run `make contract` against it with the
                                              TVX_* lines it printed, stop it; print size and timings

No registry is reachable on some machines, so the fallback base is built from Debian packages: mmdebstrap
(bookworm's python3 is 3.11, the wheels' interpreter) piped into `docker import`.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import httpx

from tryvox_sim.control_client import parse_exports

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


def check_the_image(container: str) -> None:
    """What the Dockerfile promises: a non-root user, no pip beside the simulator, no compiler."""
    checks = {
        "runs as a non-root user": ["sh", "-c", 'test "$(id -u)" != 0'],
        "has no pip in the simulator's venv": [
            "python",
            "-c",
            "import importlib.util as u; assert not u.find_spec('pip')",
        ],
        "has no compiler": ["sh", "-c", "for c in cc gcc clang; do if command -v $c; then exit 1; fi; done"],
    }
    for promise, command in checks.items():
        if not succeeds("docker", "exec", container, *command):
            sys.exit(f"image-test: the image is expected to be one that {promise}")


def run(image: str) -> int:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    size = int(docker("image", "inspect", "--format", "{{.Size}}", image))
    started = time.monotonic()
    container = docker(
        "run", "--detach", "--publish", f"127.0.0.1:{port}:{CONTAINER_PORT}", "--env", f"TVX_SIM_PUBLIC_URL={url}",
        image,
    )  # fmt: skip
    try:
        answered, healthy = wait_until_healthy(container, url, started)
        stdout, stderr = logs(container)
        printed = parse_exports(stdout)
        log(f"the container printed:\n{stdout}{stderr}")
        if printed.get("TVX_BASE_URL") != url:
            sys.exit(f"image-test: the container printed TVX_BASE_URL={printed.get('TVX_BASE_URL')}, expected {url}")
        check_the_image(container)
        docs = httpx.get(f"{url}/docs", timeout=10)  # the page the wheel carries, filled with the printed values
        if docs.status_code != 200 or f"{url}/v1/voice/accounts/{printed['TVX_AUTH_ID']}/" not in docs.text:
            sys.exit(f"image-test: /docs answered {docs.status_code} without the samples filled for {url}")
        env = {**os.environ, **{name: printed[name] for name in ("TVX_AUTH_ID", "TVX_API_TOKEN", "TVX_CALL_UUID")}}
        env["TVX_CONTROL_URL"] = url  # a simulator, said outright: a busy machine cannot make it pass for a deployment
        contract_started = time.monotonic()
        contract = subprocess.run(["make", "--no-print-directory", "contract", f"BASE_URL={url}"], env=env)
        contract_s = time.monotonic() - contract_started
    finally:
        subprocess.run(["docker", "stop", "--time", "10", container], capture_output=True)
        exit_code = docker("inspect", "--format", "{{.State.ExitCode}}", container)
        subprocess.run(["docker", "rm", container], capture_output=True)
    log(
        f"{image}: {size / 1e6:.0f} MB; from `docker run` the port answered after {answered:.2f} s and Docker "
        f"reported healthy after {healthy:.2f} s; make contract took {contract_s:.0f} s and exited "
        f"{contract.returncode}; the container exited {exit_code} on docker stop"
    )
    return contract.returncode or int(exit_code != "0")


def main(argv: list[str]) -> int:
    if argv[:1] == ["base"] and len(argv) <= 2:
        print(base(argv[1] if len(argv) == 2 else "python:3.11-slim"))
        return 0
    if argv[:1] == ["run"] and len(argv) == 2:
        return run(argv[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
