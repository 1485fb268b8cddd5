"""Start and stop the servers under test; read their readiness, RSS and CPU time.

Every server binds to 127.0.0.1, logs to a file under the run's work directory, and is killed by
its own process group id when the run ends. `proxy` is `tryvox-sim proxy` in front of a simulator of its
own, `prism-proxy` is `prism proxy` (Prism's validating proxy, relaying with --errors=false) in front of one:
load goes through the proxy, and its CPU and readiness are the proxy's alone. `simulator@base` and `proxy@base`
are the same two run from another checkout of this repository (`tree`, e.g. an older commit), with this
checkout's .venv: `python -P -m tryvox_sim.cli` with PYTHONPATH=tree, so the tree's own code is imported.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.ops import Target
from tryvox_sim.testing.control_client import ControlClient, parse_exports, ready

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "call-actions.yaml"
SIM = ROOT / ".venv" / "bin" / "tryvox-sim"
PRISM = ROOT / "node_modules" / ".bin" / "prism"
PRISM_READY = re.compile(r"Prism is listening on http://127\.0\.0\.1:(\d+)")
READY_TIMEOUT_S = 180  # a bound against a hang, not a speed check: a loaded machine starts Prism slowly
KINDS = ("simulator", "proxy", "prism", "prism-proxy", "wire", "peer", "simulator@base", "proxy@base")
PROXIES = {"proxy": "simulator", "prism-proxy": "simulator", "proxy@base": "simulator@base"}  # -> their upstream


class LaunchError(RuntimeError):
    pass


@dataclass
class Server:
    kind: str  # one of KINDS
    proc: subprocess.Popen
    target: Target
    ready_s: float
    log: Path
    control: ControlClient | None = None  # the simulator's control plane; None for the others
    upstream: "Server | None" = None  # the simulator behind a proxy

    @property
    def calls(self) -> ControlClient | None:
        """The control plane that makes and ends the calls load is aimed at: the simulator's, reached through
        `tryvox-sim proxy`, or directly for `prism proxy` (which relays only the spec's paths)."""
        if self.control is None and self.upstream is not None:
            return self.upstream.control
        return self.control

    def new_calls(self, n: int) -> list[str]:
        """In-progress calls to aim load at: real ones on the simulator, any UUID elsewhere."""
        if self.calls is None:
            return [str(uuid.uuid4()) for _ in range(n)]
        return [self.calls.create_call()["call_uuid"] for _ in range(n)]

    def rss_mib(self) -> float:
        return proc_rss_kib(self.proc.pid) / 1024

    def cpu_s(self) -> float:
        return proc_cpu_s(self.proc.pid)

    def violations(self) -> int:
        """Violations a proxy has reported so far (GET /_tvx/violations)."""
        assert self.control is not None
        return self.control.http.get("/_tvx/violations").json()["violations_total"]

    def stop(self):
        if self.control is not None:
            self.control.close()
        stop_group(self.proc)
        if self.upstream is not None:
            self.upstream.stop()


def proc_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LaunchError(f"no VmRSS for pid {pid}")


def proc_cpu_s(pid: int) -> float:
    """CPU time of one process, all its threads: its CPU clock, to the nanosecond (the clock id glibc's
    clock_getcpuclockid makes), else /proc/<pid>/stat's user + system ticks (10 ms: a cell of 0.3 s on a loaded
    machine could read 0 for a server that answered every request)."""
    try:
        return time.clock_gettime(((~pid) << 3) | 2)  # MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
    except OSError:
        pass
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_group(proc: subprocess.Popen):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command(kind: str, extra: list[str], upstream: "Server | None" = None) -> list[str]:
    sim = [str(SIM)]
    if kind.endswith("@base"):  # the other tree's code on this .venv's Python; -P: not this checkout first
        sim, kind = [sys.executable, "-P", "-m", "tryvox_sim.cli"], kind.removesuffix("@base")
    if kind == "simulator":
        return [*sim, "serve", "--host", "127.0.0.1", "--port", "0", *extra]
    if kind == "prism":
        return [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(free_port()), str(SPEC)]
    if kind in ("peer", "wire"):  # the bare stack's ceiling; the same fixed answer through tryvox_sim's HTTP core
        wire = ["--wire"] if kind == "wire" else []
        return [sys.executable, "-m", "bench.peer", "--port", "0", "--lifetime", "3600", *wire]
    if kind == "proxy":
        return [*sim, "proxy", "--host", "127.0.0.1", "--port", "0", "--upstream", _url(upstream), *extra]
    if kind == "prism-proxy":  # --errors=false: relay every answer, violations or not, as tryvox-sim proxy does
        port = str(free_port())
        return [str(PRISM), "proxy", "-h", "127.0.0.1", "-p", port, "--errors=false", str(SPEC), _url(upstream)]
    raise ValueError(f"unknown target {kind!r}: use one of {', '.join(KINDS)}")


def _url(server: "Server | None") -> str:
    assert server is not None, "a proxy needs its upstream"
    return f"http://{server.target.host}:{server.target.port}"


def _parse_ready(kind: str, text: str, upstream: "Server | None" = None) -> Target | None:
    if kind == "prism":
        m = PRISM_READY.search(text)
        return m and Target("127.0.0.1", int(m.group(1)), "your_auth_id", "tvx_sk_test_prism")
    if kind == "prism-proxy":  # the account is its upstream's
        m, up = PRISM_READY.search(text), upstream and upstream.target
        return m and up and Target("127.0.0.1", int(m.group(1)), up.auth_id, up.token)
    env = parse_exports(text)
    if upstream is not None and "TVX_BASE_URL" in env:  # a proxy prints its URL; the account is its upstream's
        env = {**parse_exports(upstream.log.read_text(errors="replace")), "TVX_BASE_URL": env["TVX_BASE_URL"]}
    if not ready(env):
        return None
    host_port = env["TVX_BASE_URL"].removeprefix("http://")
    host, port = host_port.rsplit(":", 1)
    return Target(host, int(port), env["TVX_AUTH_ID"], env["TVX_API_TOKEN"])


def launch(
    kind: str, workdir: Path | None = None, extra: list[str] = (), command: list[str] | None = None,
    cpus: set[int] | None = None, upstream: Server | None = None, tree: Path | None = None,
) -> Server:  # fmt: skip
    """Start a server (`command` replaces the usual one, e.g. to run it under a profiler; `cpus` pins it to
    those CPUs); `ready_s` is the time from spawn until it printed that it is ready (for a proxy: once its
    simulator is up). A proxy goes in front of `upstream`, or of a simulator of its own; either is stopped with it.
    `tree`: the checkout an `@base` kind runs from."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="bench-"))
    if kind.endswith("@base") and tree is None:
        raise ValueError(f"{kind} runs from another checkout: pass tree")
    env = {**os.environ, "PYTHONPATH": str(tree)} if kind.endswith("@base") else None
    if kind in PROXIES:
        upstream = upstream or launch(PROXIES[kind], workdir, tree=tree)
    log = workdir / f"{kind}-{time.time_ns()}.log"
    with open(log, "wb") as out:
        began = time.perf_counter()
        proc = subprocess.Popen(
            command or _command(kind, list(extra), upstream),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group, so stop() reaches node's children too
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )
    while time.perf_counter() - began < READY_TIMEOUT_S:
        target = _parse_ready(kind, log.read_text(errors="replace"), upstream)
        if target:
            ready_s = time.perf_counter() - began
            # tryvox-sim proxy passes the control plane through; prism proxy does not (Server.calls)
            has_control = kind.removesuffix("@base") in ("simulator", "proxy")
            control = ControlClient(f"http://{target.host}:{target.port}", timeout=30) if has_control else None
            return Server(kind, proc, target, ready_s, log, control, upstream)
        if proc.poll() is not None:
            break
        time.sleep(0.005)
    stop_group(proc)
    if upstream is not None:
        upstream.stop()
    tail = log.read_text(errors="replace")[-2000:]
    raise LaunchError(f"{kind} did not become ready within {READY_TIMEOUT_S} s (exit {proc.poll()}):\n{tail}")
