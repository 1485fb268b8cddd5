"""What the client says it does, through `logging.getLogger("tryvox_call_actions_client")`.

Hand-written (openapi/client_layer/, copied into the package by `make client`). At INFO: one line per attempt
(method, path, status or failure, milliseconds, attempt) and one per retry decision (why, how long it waits). At
DEBUG also each body sent and received. Never a header: the token is in one. `TVX_LOG=info` or `TVX_LOG=debug`
turns it on without code (a handler on this logger only, to stderr; the application's own logging setup is left as
it is). The TypeScript SDK writes the same lines (its `logger` option).
"""

from __future__ import annotations

import logging
import os
from typing import TextIO

import httpx

logger = logging.getLogger("tryvox_call_actions_client")
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
BODY_LIMIT = 2000  # characters of a body shown at DEBUG; the API's are far smaller


class _EnvironmentHandler(logging.StreamHandler[TextIO]):
    """The handler TVX_LOG adds, told apart from the application's own."""


def setup_logging() -> None:
    """Follow TVX_LOG (debug or info); called when a client's connections are made."""
    level = LEVELS.get(os.environ.get("TVX_LOG", "").strip().lower())
    if level is None:
        return
    if not any(isinstance(handler, _EnvironmentHandler) for handler in logger.handlers):
        handler = _EnvironmentHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level)


def attempt(request: httpx.Request, outcome: str, started: float, ended: float, number: int) -> None:
    """`POST /v1/…/dtmf: 202 in 12 ms (attempt 1)`; `outcome` is the status or what went wrong."""
    if logger.isEnabledFor(logging.INFO):
        ms = round((ended - started) * 1000)
        logger.info("%s %s: %s in %d ms (attempt %d)", request.method, request.url.path, outcome, ms, number)


def decision(wait: float | None, why: str, retries_done: int, max_retries: int) -> None:
    """`retrying in 1 s (retry 1 of 2): 429 with Retry-After 1 s`, or `not retrying: …`."""
    if wait is None:
        logger.info("not retrying: %s", why)
    else:
        logger.info("retrying in %.3g s (retry %d of %d): %s", wait, retries_done + 1, max_retries, why)


def body(direction: str, request: httpx.Request, content: bytes) -> None:
    """At DEBUG, a body sent (`direction` "sent") or received ("received")."""
    if content and logger.isEnabledFor(logging.DEBUG):
        text = content.decode("utf-8", errors="replace")
        shown = text if len(text) <= BODY_LIMIT else f"{text[:BODY_LIMIT]}… ({len(text)} characters)"
        logger.debug("%s %s: %s %s", request.method, request.url.path, direction, shown)
