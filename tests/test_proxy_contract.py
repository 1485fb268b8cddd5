"""The whole contract suite (`python -m tryvox_contract`) through `tryvox-sim proxy` in front of a simulator.

The suite passes through the proxy, and the proxy sees no violation by the API in any of its exchanges. The
client violations it reports are the suite's own negative cases (schemathesis' invalid bodies, missing tokens,
bad ids and undeclared methods; the behaviour tests' refusals), each refused by the API with a 4xx. This is `make
contract-sim`, make test's one full run of the suite (SEED=… picks another seed), not part of `make unit`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from tryvox_sim.testing import start_proxy, start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
SEED = os.environ.get("SEED") or "20261126"
SPEC = yaml.safe_load((ROOT / "openapi" / "call-actions.yaml").read_text())
OPERATIONS = {  # the spec's operations: each one an exchange the proxy checked
    op["operationId"]
    for item in SPEC["paths"].values()
    for op in item.values()
    if isinstance(op, dict) and "operationId" in op
}


def test_the_contract_suite_through_the_proxy_breaks_no_rule_of_the_api(tmp_path):
    simulator, found = start_server("--self-check", "--manual-clock", "--seed", SEED)
    try:
        proxy, url, output = start_proxy(
            found["TVX_BASE_URL"], "--report", str(tmp_path / "proxy"), "--fail-on-violation", "api"
        )
        target = {name: found[name] for name in ("TVX_AUTH_ID", "TVX_API_TOKEN", "TVX_CALL_UUID")}
        env = {**os.environ, **target, "TVX_BASE_URL": url}
        env.pop("TVX_CONTROL_URL", None)  # the runner finds the control plane through the proxy
        suite = subprocess.run(
            [sys.executable, "-m", "tryvox_contract", "--seed", SEED, "--report-dir", str(tmp_path / "suite")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        stop_server(proxy)
    finally:
        stop_server(simulator)
    print(suite.stdout)  # the suite's own report (make contract-sim shows it with -rP)
    assert suite.returncode == 0, suite.stdout[-4000:] + suite.stderr[-2000:]
    # The control plane was reached through the proxy:
    assert '[simulator: control plane found, GET /_sim/health answered 200 {"status": "ok"}]' in suite.stdout
    printed = Path(output).read_text()
    assert proxy.returncode == 0, printed[-4000:]
    report = json.loads((tmp_path / "proxy" / "proxy-report.json").read_text())
    assert report["violations"]["api"] == 0, [v for v in report["list"] if v["party"] == "api"][:20]
    assert set(report["exchanges"]["checked"]) == OPERATIONS
    assert report["exchanges"]["answered_by_proxy"] == {}
    client = [v for v in report["list"] if v["party"] == "client"]
    assert len(client) == report["violations"]["client"] > 0  # all listed: under the cap
    assert all(400 <= v["status"] < 500 for v in client), [v for v in client if not 400 <= v["status"] < 500]
    assert "violation by the API" not in printed
