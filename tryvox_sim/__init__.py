"""tryvox-sim: a stateful simulator of the tryvox Voice Call Actions API (see README.md)."""

from importlib import metadata

try:
    __version__ = metadata.version("tryvox-sim")
except metadata.PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "0+unknown"
