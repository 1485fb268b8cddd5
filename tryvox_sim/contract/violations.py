"""Every rule of the contract by its id, and a `Violation`: one rule broken, with what was expected and what came.

The ids are values (`Rule.ECHO`), compared as values by every consumer: the simulator's self-check, the validating
proxy, the contract suite and its coverage report. They are strings too (`Rule.ECHO == "echo"`), so reports and the
proxy's `tvx-contract-violations` header write them as they always did.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Rule(StrEnum):
    """Every rule, in the one order reports list them (and invariants of one scope are checked in)."""

    # what a request must be (the client's side: the validating proxy blames the application for these)
    REQUEST_METHOD = "request-method"
    REQUEST_AUTH = "request-auth"
    REQUEST_PATH = "request-path"
    REQUEST_SIZE = "request-size"
    REQUEST_CONTENT_TYPE = "request-content-type"
    REQUEST_JSON = "request-json"
    REQUEST_BODY = "request-body"
    # what one response must be, as the spec declares it
    RESPONSE_STATUS = "response-status"
    RESPONSE_CONTENT_TYPE = "response-content-type"
    RESPONSE_BODY = "response-body"
    RESPONSE_HEADER = "response-header"
    PROBLEM_JSON = "problem-json"
    ACCEPTS_INVALID = "accepts-invalid"
    # the invariants (invariants/): promises across fields of one exchange...
    PROBLEM_STATUS = "problem-status"
    PROBLEM_TYPE = "problem-type"
    PROBLEM_CODE = "problem-code"
    PROBLEM_TITLE = "problem-title"
    VALIDATION_ERRORS = "validation-errors"
    AUTH_CHALLENGE = "auth-challenge"
    RATE_LIMIT_REMAINING = "rate-limit-remaining"
    ECHO = "echo"
    RECORDING_FORMAT = "recording-format"
    RECORDING_URL = "recording-url"
    NEW_ACTION_ID = "new-action-id"
    # ...across one call's history...
    COMPLETED_CALL = "completed-call"
    START_WHILE_RECORDING = "start-while-recording"
    STOP_AFTER_STOP = "stop-after-stop"
    STOP_NAMES_RECORDING = "stop-names-recording"
    STOP_URL_FORMAT = "stop-url-format"
    STOP_DURATION = "stop-duration"
    STOP_DURATION_ELAPSED = "stop-duration-elapsed"
    RECORDING_DETAILS = "recording-details"
    TRANSFER_WEBHOOK = "transfer-webhook"
    # ...and across the run
    FRESH_ACTION_ID = "fresh-action-id"
    RATE_LIMIT_CONSTANT = "rate-limit-constant"
    RATE_LIMIT_DECREASING = "rate-limit-decreasing"
    RATE_LIMIT_RESET = "rate-limit-reset"


NO_CONTEXT: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Violation:
    """`rule` broken: `expected` what the spec promises, `got` what came. `context` says where, as data: the
    operation, call, status, and, from the validating proxy, whose fault it is and which exchange it was."""

    rule: Rule
    expected: str
    got: str
    context: Mapping[str, Any] = field(default_factory=lambda: NO_CONTEXT, compare=False)

    def __str__(self) -> str:
        return f"{self.rule}: expected {self.expected}, got {self.got}"

    def at(self, **context: Any) -> Violation:
        """The same violation with more context."""
        return replace(self, context={**self.context, **context})
