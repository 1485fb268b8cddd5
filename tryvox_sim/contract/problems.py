"""Every problem the simulator answers: one exception class per problem `code` (moto's `exceptions.py`).

The domain and the HTTP shell raise them alike; `Response.problem` (wire/response.py) turns one into the response.
Status, code and title are class attributes; they match the problem examples of openapi/call-actions.yaml
and openapi/simulator.yaml, and tests/test_problems.py holds every class and every example to that.
"""

from collections.abc import Sequence
from typing import Any, ClassVar, TypedDict

ERRORS_BASE = "https://docs.tryvox.io/errors/"
DETAIL_MAX = 4000  # the spec's maxLength of Problem.detail

Header = tuple[str, str]


class FieldError(TypedDict):
    pointer: str
    message: str


class Problem(Exception):
    """An RFC 9457 problem: `detail` says what happened this time; `pointer` names the one offending
    field (or `errors` lists several); `headers` go out with it (WWW-Authenticate, Allow, Retry-After)."""

    status: ClassVar[int]
    code: ClassVar[str]
    title: ClassVar[str]
    type: ClassVar[str]
    outside_contract: ClassVar[bool] = False  # the simulator's own extension: the self-check leaves it alone

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.type = ERRORS_BASE + cls.code.replace("_", "-")

    def __init__(
        self,
        detail: str,
        *,
        pointer: str | None = None,
        errors: list[FieldError] | None = None,
        headers: Sequence[Header] = (),
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = [FieldError(pointer=pointer, message=detail)] if pointer is not None else errors
        self.headers = headers

    def body(self) -> dict[str, Any]:
        """The problem document: made here and nowhere else."""
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail[:DETAIL_MAX],
        }
        if self.errors is not None:
            body["errors"] = self.errors
        return body


# -- the Call Actions API (openapi/call-actions.yaml)
class InvalidJson(Problem):
    status, code, title = 400, "invalid_json", "Malformed JSON"


class Unauthorized(Problem):
    status, code, title = 401, "unauthorized", "Unauthorized"


class Forbidden(Problem):
    status, code, title = 403, "forbidden", "Forbidden"


class CallNotFound(Problem):
    status, code, title = 404, "call_not_found", "Call not found"


class CallNotInProgress(Problem):
    status, code, title = 409, "call_not_in_progress", "Call not in progress"


class RecordingAlreadyRunning(Problem):
    status, code, title = 409, "recording_already_running", "Recording already running"


class NoActiveRecording(Problem):
    status, code, title = 409, "no_active_recording", "No active recording"


class PayloadTooLarge(Problem):
    status, code, title = 413, "payload_too_large", "Payload too large"


class UnsupportedMediaType(Problem):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class ValidationFailed(Problem):
    status, code, title = 422, "validation_failed", "Validation failed"


class CallerIdNotOwned(Problem):
    status, code, title = 422, "caller_id_not_owned", "Caller ID not owned"


class RateLimited(Problem):
    status, code, title = 429, "rate_limited", "Too many requests"


# -- the control plane (openapi/simulator.yaml)
class AccountNotFound(Problem):
    status, code, title = 404, "account_not_found", "Account not found"


class AccountExists(Problem):
    status, code, title = 409, "account_exists", "Account exists"


class TokenInUse(Problem):
    status, code, title = 409, "token_in_use", "Token in use"


class CallNotRinging(Problem):
    status, code, title = 409, "call_not_ringing", "Call not ringing"


class CallCompleted(Problem):
    status, code, title = 409, "call_completed", "Call completed"


class NoTransfer(Problem):
    status, code, title = 409, "no_transfer", "No transfer"


class DocsNotBuilt(Problem):
    status, code, title = 404, "docs_not_built", "Docs not built"


class FaultNotFound(Problem):
    status, code, title = 404, "fault_not_found", "Fault not found"


# -- any route (openapi/simulator.yaml, components/examples): before an operation is chosen, or a failure
class MalformedHttp(Problem):
    status, code, title = 400, "bad_request", "Bad request"


class RouteNotFound(Problem):
    status, code, title = 404, "not_found", "Not found"


class MethodNotAllowed(Problem):
    status, code, title = 405, "method_not_allowed", "Method not allowed"


class RequestTimeout(Problem):
    status, code, title = 408, "request_timeout", "Request timeout"


class UriTooLong(Problem):
    status, code, title = 414, "uri_too_long", "URI too long"


class HeaderFieldsTooLarge(Problem):
    status, code, title = 431, "header_fields_too_large", "Request header fields too large"


class InternalError(Problem):
    status, code, title = 500, "internal_error", "Internal error"


class SelfCheckFailed(Problem):
    status, code, title = 500, "self_check_failed", "Self-check failed"


# -- the simulator's testing extensions on the API's routes: `Prefer`, and injected server errors (faults)
class PreferNotAvailable(Problem):
    status, code, title = 400, "prefer_not_available", "Preferred response not available"
    outside_contract = True


class CrossSiteControl(Problem):
    """A browser page of another origin driving the control plane: refused, outside the control plane's contract."""

    status, code, title = 403, "cross_site_control", "Control plane refused to another origin"
    outside_contract = True


class BadGateway(Problem):
    status, code, title = 502, "bad_gateway", "Bad gateway"
    outside_contract = True


class ServiceUnavailable(Problem):
    status, code, title = 503, "service_unavailable", "Service unavailable"
    outside_contract = True


class GatewayTimeout(Problem):
    status, code, title = 504, "gateway_timeout", "Gateway timeout"
    outside_contract = True
