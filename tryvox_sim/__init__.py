"""tryvox-sim: a stateful simulator of the tryvox Voice Call Actions API, and a validating proxy (see README.md).

The package's folders are its layers, each importing only those below it (ARCHITECTURE.md; `make lint` holds it):
`testing` (fixture, pytest plugin, control client) and `cli` over `sim` (the simulated API) and `proxy` (the
validating proxy), which share `wire` (the HTTP/1.1 server core), over `contract` (what the spec promises).
"""

from importlib import metadata

from . import _moved

try:
    __version__ = metadata.version("tryvox-sim")
except metadata.PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "0+unknown"

_moved.install()  # the import paths of 1.1 keep working, with a DeprecationWarning
