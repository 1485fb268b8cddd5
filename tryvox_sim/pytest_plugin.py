"""pytest plugin (entry point `tryvox_sim`): the `tryvox_sim` fixture is a fresh in-process simulator."""

import pytest

from .testing import simulated_api


@pytest.fixture
def tryvox_sim():
    with simulated_api() as sim:
        yield sim
