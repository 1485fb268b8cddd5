"""The environment variables (a table checked against the code that reads them) and the GitHub Action's inputs and
outputs (from action.yml)."""

from __future__ import annotations

import re

import yaml

from .common import ROOT, banner, page, source_link, table

# Where each part reads its variables: a variable named in one of these files is read (or set) by that part.
READERS = {
    "tryvox-sim": ["tryvox_sim/**/*.py"],
    "tryvox-contract": ["contract_tests/tryvox_contract/**/*.py"],
    "Python client": ["generated/tryvox_call_actions_client/**/*.py"],
    "TypeScript SDK": ["typescript-sdk/src/*.ts"],
    "make": ["Makefile", "mk/*.mk"],
    "GitHub Action": ["action.yml"],
}
NAMED = re.compile(r"\b(TVX_[A-Z0-9_]+|MIN_COVERAGE|PORT)\b")

# What each variable means, written once here; the page fails to build when the code reads a variable this table
# does not describe, or the table describes one nothing reads.
VARIABLES = {
    "TVX_API_TOKEN": "The API token (`tvx_sk_test_…` or `tvx_sk_live_…`), sent as `Authorization: Bearer …`. The "
    "clients' default token; the contract suite's only way to take one (never a flag). Seeds the simulator's token "
    "when it starts.",
    "TVX_BASE_URL": "Where the API is. The clients' base URL (default `https://api.tryvox.io`); the contract suite's "
    "target (unset: it starts the embedded simulator); the address `tryvox-sim serve` listens on, so pasted export "
    "lines start the same simulator again.",
    "TVX_AUTH_ID": "The account (`auth_id` in every path). The Python resource client's default account; the "
    "contract suite's account of the token; seeds the simulator's account.",
    "TVX_CALL_UUID": "An in-progress call of that account: the call the contract suite acts on (its only one; what "
    "would end it runs last or is left out); seeds the simulator's call.",
    "TVX_CALL_COMMAND": "Instead of `TVX_CALL_UUID`, a shell command that starts an in-progress call of the account "
    "and prints its uuid (the last line of its stdout): the contract suite runs it before the run and again whenever "
    "the call in use has ended (`--call-command`).",
    "TVX_CALL_TIMEOUT": "Seconds the contract suite's call command may take, its call answered (default 60; "
    "`--call-timeout`).",
    "TVX_ENDED_CALL_UUID": "Given to the contract suite's call command: the call that ended, which the new one "
    "replaces (unset the first time).",
    "TVX_SPEC": "Internal to the contract suite: the spec file a run tests (`--spec`, `--spec-ref`); set by the run "
    "itself.",
    "TVX_CALL_STATE": "Internal to the contract suite: the file its processes share the call in use through; set by "
    "the run itself.",
    "TVX_LOG": "`info` or `debug`: both clients log each attempt and retry decision to stderr (bodies at `debug`, "
    "never the token). Unset: no log.",
    "PORT": "The port `tryvox-sim serve` and `make serve` listen on when `TVX_BASE_URL` names none (default 4010).",
    "TVX_SIM_RATE_LIMIT": "`tryvox-sim serve --rate-limit`'s default, e.g. `50/s`: rate limiting per token.",
    "TVX_SIM_CORS": "`tryvox-sim serve --cors`'s default: origins apart by spaces or commas that may call the API "
    "from a browser.",
    "TVX_SIM_PUBLIC_URL": "`tryvox-sim serve --public-url`'s default: the `TVX_BASE_URL` it prints when clients "
    "reach it at another address (a published container port, a service name).",
    "TVX_CONTROL_URL": "The contract suite's target is a simulator whose control plane (`/_sim`) is here; unset, "
    "`GET /_sim/health` on the target decides.",
    "TVX_SAFE_TRANSFER_TO": "A number the contract suite's schema-valid transfers may dial; unset, none is sent to "
    "a deployment.",
    "TVX_ALLOW_LIVE": "`1` lets the contract suite use a `tvx_sk_live_` key (it then acts on a real call).",
    "TVX_RATE_LIMIT": "The contract suite sends at most this many requests per second (a `429` is waited out "
    "either way).",
    "MIN_COVERAGE": "The contract suite's coverage gate, in percent per dimension (default 100 against a simulator, "
    "`coverage.toml`'s `min-coverage` against a deployment).",
    "TVX_WORKFLOWS": "`1`: the contract suite runs the spec's Arazzo workflows (Redocly Respect) against a deployment "
    "too (`--workflows`); against a simulator they run unless it is `0` (a run that proves something else).",
    "TVX_REDOCLY": "The command line the contract suite runs Redocly Respect with; unset, `redocly` on `PATH`, else "
    "the pinned one in a checkout's `node_modules`.",
    "TVX_TRAFFIC_LOG": "Internal to the contract suite: the file its processes append their traffic to "
    "(`reports/traffic.jsonl`); set by the run itself.",
}


def readers() -> dict[str, list[str]]:
    """Variable -> the parts whose files name it."""
    found: dict[str, list[str]] = {}
    for part, patterns in READERS.items():
        for pattern in patterns:
            for path in sorted(ROOT.glob(pattern)):
                for name in set(NAMED.findall(path.read_text())):
                    if part not in found.setdefault(name, []):
                        found[name].append(part)
    return found


def environment() -> str:
    read = readers()
    undescribed = sorted(set(read) - set(VARIABLES))
    unread = sorted(set(VARIABLES) - set(read))
    if undescribed or unread:
        raise ValueError(f"tools/reference/project_pages.py VARIABLES: describe {undescribed}; nothing reads {unread}")
    intro = (
        "Every variable the toolkit reads, and which part reads it. An argument (a flag, a client option) always "
        "wins over its variable; the [command-line references](tryvox-sim.md) say which flag has which."
    )
    lines = banner("Environment variables", "the code that reads them and a table in `tools/reference/`", intro)
    rows = [[f"`{name}`", meaning, ", ".join(read[name])] for name, meaning in VARIABLES.items()]
    lines += table(["variable", "what it does", "read by"], rows)
    return page(lines)


def action() -> str:
    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    intro = (
        f"{spec['description']}. Use it as `uses: tryvox/tryvox-call-actions@v1` (the major tag each release moves) in "
        "the job after your deploy step; the token goes through `env:` (`TVX_API_TOKEN`, from a secret), never "
        "through an input. An empty input leaves the `TVX_*` variable of the job's `env:` in force "
        "([Get started: the API team](../get-started/api-team.md))."
    )
    lines = banner("The GitHub Action", "`action.yml`", intro)
    rows = [
        [f"`{name}`", f"`{item['default']}`" if item.get("default") else "", item["description"]]
        for name, item in spec["inputs"].items()
    ]
    lines += ["## Inputs", "", *table(["input", "default", "what it does"], rows), ""]
    rows = [[f"`{name}`", item["description"]] for name, item in spec["outputs"].items()]
    lines += ["## Outputs", "", *table(["output", "what it holds"], rows), ""]
    steps = [step["name"] for step in spec["runs"]["steps"]]
    lines += ["## Steps", "", f"A {spec['runs']['using']} action: " + "; ".join(steps) + ".", ""]
    lines.append(f"Source: {source_link('action.yml')}.")
    return page(lines)
