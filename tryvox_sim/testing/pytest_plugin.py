"""pytest plugin (entry point `tryvox_sim`): the `tryvox_sim` fixture is a fresh in-process simulator.

Options of `simulated_api()` go in a marker: `@pytest.mark.tryvox_sim(raise_server_exceptions=False)`.

`pytest --tryvox-coverage[=PCT]` adds up the integration coverage of every in-process simulator of the run (the
fixture's and `simulated_api()`'s, across xdist workers too), prints its table at the end as pytest-cov does, writes
coverage.json, .md and .html into `--tryvox-coverage-dir` (default `tryvox-coverage/`) and, given PCT, fails the run
below it.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .simulated import SimulatedAPI, simulated_api

REPORT = pytest.StashKey[dict[str, Any]]()


def _gate(text: str) -> float:
    from .coverage_report import percentage

    try:
        return percentage(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--tryvox-coverage {exc}") from None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tryvox", "tryvox-sim integration coverage")
    group.addoption(
        "--tryvox-coverage", nargs="?", const=True, default=False, type=_gate, metavar="PCT",
        help="report what the tests met of the Call Actions spec (in-process simulators); fail below PCT",
    )  # fmt: skip
    group.addoption(
        "--tryvox-coverage-dir", default="tryvox-coverage", metavar="DIR",
        help="where --tryvox-coverage writes coverage.json, .md and .html (default tryvox-coverage/)",
    )  # fmt: skip


class CoverageCollector:
    """The facts of every simulator of this process; a controller adds its workers' (xdist)."""

    def __init__(self) -> None:
        from ..sim.coverage import Tally

        self.tally = Tally()

    def __call__(self, tally: Any) -> None:
        self.tally.merge(tally)

    def add_facts(self, facts: list[list[Any]]) -> None:
        for key, times in facts:
            self.tally.facts[tuple(key)] += times

    def facts(self) -> list[list[Any]]:
        return [[list(key), times] for key, times in self.tally.facts.items()]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "tryvox_sim(**options): options of the tryvox_sim fixture's simulator")
    if config.getoption("tryvox_coverage", default=False) is not False:
        from .simulated import COVERAGE_COLLECTORS

        collector = CoverageCollector()
        COVERAGE_COLLECTORS.append(collector)
        config.pluginmanager.register(CoverageReporting(collector), "tryvox-coverage")


class CoverageReporting:
    def __init__(self, collector: CoverageCollector) -> None:
        self.collector = collector

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:  # xdist: a worker's facts reach the controller
        self.collector.add_facts(getattr(node, "workeroutput", {}).get("tryvox_coverage", []))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        config = session.config
        workeroutput = getattr(config, "workeroutput", None)
        if workeroutput is not None:  # an xdist worker: the controller reports
            workeroutput["tryvox_coverage"] = self.collector.facts()
            return
        from ..sim.coverage import report
        from .coverage_report import passed, write
        from .simulated import shared_spec

        found = report(shared_spec(), self.collector.tally)
        gate = config.getoption("tryvox_coverage")
        fail_under = None if gate is True else float(gate)
        config.stash[REPORT] = found
        folder = Path(config.getoption("tryvox_coverage_dir"))
        write(found, folder if folder.is_absolute() else Path(config.invocation_params.dir, folder), fail_under)
        if not passed(found, fail_under) and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        from .simulated import COVERAGE_COLLECTORS

        if self.collector in COVERAGE_COLLECTORS:
            COVERAGE_COLLECTORS.remove(self.collector)

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        found = config.stash.get(REPORT, None)
        if found is None:
            return
        from .coverage_report import text

        gate = config.getoption("tryvox_coverage")
        terminalreporter.write_sep("-", "tryvox integration coverage")
        terminalreporter.write(text(found, None if gate is True else float(gate)))
        terminalreporter.write_line(f"reports: {config.getoption('tryvox_coverage_dir')}/coverage.{{json,md,html}}")


@pytest.fixture
def tryvox_sim(request: pytest.FixtureRequest) -> Iterator[SimulatedAPI]:
    marker = request.node.get_closest_marker("tryvox_sim")
    with simulated_api(**(marker.kwargs if marker else {})) as sim:
        yield sim
