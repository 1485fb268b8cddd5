"""Fixtures shared by the unit tests."""

import socket
from collections.abc import Iterator

import pytest


@pytest.fixture
def refused_url() -> Iterator[str]:
    """The URL of a loopback port nothing listens on: bound and never listened on, so a connection is refused, and
    held until the test ends, so no process running beside it can take the port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
