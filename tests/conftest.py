"""Fixtures shared by the test files: a refused loopback URL, and the built distributions installed outside the
repository (tests/installed.py), made once a session for test_dist.py and test_action.py."""

import socket
from collections.abc import Iterator

import pytest
from installed import dist, venv  # noqa: F401  (pytest finds fixtures by name here)


@pytest.fixture
def refused_url() -> Iterator[str]:
    """The URL of a loopback port nothing listens on: bound and never listened on, so a connection is refused, and
    held until the test ends, so no process running beside it can take the port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
