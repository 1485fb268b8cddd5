"""The invariants (from their declarations) and the Note-to-test table (from coverage.toml)."""

from __future__ import annotations

from .common import banner, page, source_link, table


def invariants() -> str:
    from tryvox_sim.contract.invariants import CALL, EXCHANGE, INVARIANTS, RUN

    intro = (
        f"The promises of the Call Actions API that tie fields, requests or channels together, beyond what one JSON "
        f"Schema says: {len(INVARIANTS)} of them, each declared once with its id, what it reads, where the promise is "
        "made and its check. The simulator's self-check refuses to send an answer that breaks one; the validating "
        "proxy reports each broken one on real traffic under its id ([The validating proxy](../guides/proxy.md)); the "
        "contract suite runs each as the schemathesis check `tvx_<id>` and counts, per id, the answers it was checked "
        "on ([The contract suite](../guides/contract-suite.md#coverage-and-a-gate-on-it)). One whose inputs the "
        "API's answers never carry says what it needs from the simulator: against a deployment it is counted apart, "
        "with that reason."
    )
    lines = banner("Invariants", "the declarations in `tryvox_sim/contract/invariants/`", intro)
    headings = {
        EXCHANGE: "Within one exchange",
        CALL: "Along one call's history",
        RUN: "Across the run",
    }
    for scope, heading in headings.items():
        rows = [
            [f"`{inv.name}`", inv.promise + (f" — needs the simulator: {inv.needs}" if inv.needs else ""), inv.source]
            for inv in INVARIANTS.values()
            if inv.reads is scope
        ]
        lines += [
            f"## {heading}",
            "",
            f"What they read: {scope.value}.",
            "",
            *table(["id", "promise", "source"], rows),
            "",
        ]
    lines.append(f"Source: {source_link('tryvox_sim/contract/invariants/')}.")
    return page(lines)


def notes() -> str:
    from tryvox_contract import coverage

    intro = (
        "Every Note of the API's docs page, then the rules the spec adds, with the tests that prove each: in the "
        "contract suite (which runs against the simulator or a deployment) and in the simulator's own unit tests. The "
        "coverage report reads the same data: a row whose tests passed counts as proved "
        "([The contract suite](../guides/contract-suite.md#coverage-and-a-gate-on-it)). A row no answer can show "
        "says why."
    )
    lines = banner("Docs Notes and the tests that prove them", "`contract_tests/tryvox_contract/coverage.toml`", intro)
    lines += [coverage.notes_table(coverage.load_config()), ""]
    lines.append(f"Source: {source_link('contract_tests/tryvox_contract/coverage.toml')}.")
    return page(lines)
