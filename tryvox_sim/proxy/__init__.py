"""The validating proxy (`tryvox-sim proxy`): forwarding (forward.py, upstream.py), the verifier, the report and the
command. It shares the wire with the simulator and reads the contract; it imports nothing of the simulator."""

from .command import add_parser, main
from .forward import ERROR_HEADER, VIOLATIONS_HEADER, Proxy, serve

__all__ = ["ERROR_HEADER", "VIOLATIONS_HEADER", "Proxy", "add_parser", "main", "serve"]
