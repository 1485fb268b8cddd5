"""pytest plugin (entry point `tryvox_sim`): the `tryvox_sim` fixture is a fresh in-process simulator.

Options of `simulated_api()` go in a marker: `@pytest.mark.tryvox_sim(raise_server_exceptions=False)`.
"""

from collections.abc import Iterator

import pytest

from .simulated import SimulatedAPI, simulated_api


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "tryvox_sim(**options): options of the tryvox_sim fixture's simulator")


@pytest.fixture
def tryvox_sim(request: pytest.FixtureRequest) -> Iterator[SimulatedAPI]:
    marker = request.node.get_closest_marker("tryvox_sim")
    with simulated_api(**(marker.kwargs if marker else {})) as sim:
        yield sim
