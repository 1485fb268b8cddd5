"""Fixtures shared by test files: the built distributions installed outside the repository (tests/installed.py),
made once a session for test_dist.py and test_action.py."""

from installed import dist, venv  # noqa: F401  (pytest finds fixtures by name here)
