"""The simulator and the proxy as processes, as users run them: `tryvox-sim serve` / `tryvox-sim proxy` on a free
loopback port, started and stopped from a test (or the contract suite), ready once their export lines are printed."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .control_client import parse_exports, ready


def start_server(
    *args: str, timeout: float = 10.0, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """Start `tryvox-sim serve --host 127.0.0.1 --port 0 *args` in a subprocess and wait until it is ready.

    Returns (process, found): `found` holds its export lines as a dict (TVX_BASE_URL, TVX_AUTH_ID,
    TVX_API_TOKEN, TVX_CALL_UUID) plus `process` and `log`, the path of its stderr.
    """
    import os
    import sys
    import tempfile
    import time

    log = tempfile.NamedTemporaryFile(prefix="tryvox-sim-", suffix=".log", delete=False)
    command = [sys.executable, "-m", "tryvox_sim.cli", "serve", "--host", "127.0.0.1", "--port", "0", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, env={**os.environ, **(env or {})})
    log.close()
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    deadline, printed, exports = time.monotonic() + timeout, b"", dict[str, str]()
    while not ready(exports):
        if time.monotonic() > deadline or process.poll() is not None:
            stop_server(process)
            tail = open(log.name, errors="replace").read()[-2000:]
            raise RuntimeError(f"the simulator did not start within {timeout:.0f} s (log {log.name}):\n{tail}")
        chunk = process.stdout.read() or b""
        printed += chunk
        exports = parse_exports(printed.decode(errors="replace"))
        if not chunk:
            time.sleep(0.02)
    return process, {**exports, "process": process, "log": log.name}


def stop_server(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM (a graceful stop), then SIGKILL if it has not exited within `timeout`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
    if process.stdout:
        process.stdout.close()


@contextmanager
def served(*args: str, timeout: float = 10.0, env: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """`start_server` as a context manager: yields the export lines; stops the server on exit."""
    process, found = start_server(*args, timeout=timeout, env=env)
    try:
        yield found
    finally:
        stop_server(process, timeout)


def start_proxy(
    upstream: str, *args: str, output: str | None = None, timeout: float = 10.0
) -> tuple[subprocess.Popen[bytes], str, str]:
    """Start `tryvox-sim proxy --upstream UPSTREAM --host 127.0.0.1 --port 0 *args` and wait until it listens.

    Returns (process, its base URL, the file its output goes to: one line per violation, then its summary).
    Stop it with `stop_server` (SIGTERM: it writes its reports, and its exit code says whether anything broke).
    """
    import os
    import sys
    import tempfile
    import time
    from pathlib import Path

    if output is None:
        handle, output = tempfile.mkstemp(prefix="tryvox-proxy-", suffix=".log")
        os.close(handle)
    command = [sys.executable, "-m", "tryvox_sim.cli", "proxy", "--upstream", upstream, "--host", "127.0.0.1",
               "--port", "0", *args]  # fmt: skip
    with open(output, "wb") as sink:  # a file, not a pipe: a pipe nobody reads would stall the proxy
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    printed = Path(output)
    deadline = time.monotonic() + timeout
    while "TVX_BASE_URL" not in (exports := parse_exports(printed.read_text(errors="replace"))):
        if time.monotonic() > deadline or process.poll() is not None:
            stop_server(process)
            tail = printed.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the proxy did not start within {timeout:.0f} s (output {output}):\n{tail}")
        time.sleep(0.02)
    return process, exports["TVX_BASE_URL"], output
