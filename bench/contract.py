"""Wall time of the default `make contract`, split into simulator CPU time and the rest.

The simulator is found among the processes of make's session by its command line; its CPU time
(its CPU clock, bench/targets.proc_cpu_s) is sampled every 50 ms until it exits, so the figure misses at
most the last 50 ms of it.
"""

import os
import resource
import subprocess
import time
from pathlib import Path

from bench.targets import ROOT, proc_cpu_s

TIMEOUT_S = 600
SIM_MARKERS = ("tryvox-sim", "tryvox_sim.cli", "-m simulator")


def _session_sims(sid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat[stat.rindex(")") + 2 :].split()[3]) != sid:
                continue
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
        if any(m in cmd for m in SIM_MARKERS):
            pids.append(int(entry.name))
    return pids


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(log) -> dict:
    makefile_text = "".join(p.read_text() for p in [ROOT / "Makefile", *sorted((ROOT / "mk").glob("*.mk"))])
    if "\ncontract:" not in makefile_text:
        return {"error": "there is no `make contract` target yet"}
    out_path = ROOT / "build" / "bench-contract.log"
    out_path.parent.mkdir(exist_ok=True)
    cpu: dict[int, float] = {}
    children_before = _children_cpu_s()
    with open(out_path, "wb") as out:
        began = time.perf_counter()
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "contract"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        while proc.poll() is None and time.perf_counter() - began < TIMEOUT_S:
            for pid in _session_sims(proc.pid):
                try:
                    cpu[pid] = proc_cpu_s(pid)
                except (OSError, ValueError):
                    pass
            time.sleep(0.05)
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()
            return {"error": f"`make contract` ran over {TIMEOUT_S} s and was stopped"}
        wall = time.perf_counter() - began
    sim_cpu = sum(cpu.values())
    total_cpu = _children_cpu_s() - children_before  # make and every process it waited for
    note = (
        f"{len(cpu)} simulator process(es) seen. Output in build/bench-contract.log."
        if cpu
        else "No separate simulator process was seen: the contract run drives the simulator in-process, "
        "so its time is inside the fuzzer's figure."
    )
    log(f"  make contract: exit {proc.returncode}, {wall:.1f} s wall, simulator CPU {sim_cpu:.1f} s")
    return {
        "exit": proc.returncode,
        "wall_s": round(wall, 1),
        "simulator_cpu_s": round(sim_cpu, 1),
        "total_cpu_s": round(total_cpu, 1),
        "other_cpu_s": round(total_cpu - sim_cpu, 1),
        "note": note,
    }
