"""One error class per error status the spec documents, from call-actions.yaml (spec version 1.1.2) and
client-facts.yaml, written by tools/client_facts.py when the client is generated: do not edit. Import them from
`errors`, which holds their bases (the logic) and raises them."""

from .errors import APIStatusError, _WithFieldErrors, _WithRetryAfter


class BadRequestError(APIStatusError):
    """400: the body is not valid JSON (``invalid_json``)."""


class AuthenticationError(APIStatusError):
    """401: no token, or not a valid one (``unauthorized``)."""


class PermissionDeniedError(APIStatusError):
    """403: the token is not for this ``auth_id`` (``forbidden``)."""


class NotFoundError(APIStatusError):
    """404: no such call on this account (``call_not_found``)."""


class ConflictError(APIStatusError):
    """409: the call's state refuses the action (``call_not_in_progress``, ``recording_already_running``,
    ``no_active_recording``)."""


class PayloadTooLargeError(APIStatusError):
    """413: the body is too large (``payload_too_large``)."""


class UnsupportedMediaTypeError(APIStatusError):
    """415: the body is not JSON (``unsupported_media_type``)."""


class UnprocessableEntityError(_WithFieldErrors):
    """422: a field breaks the schema or a business rule (``validation_failed``, ``caller_id_not_owned``); ``errors``
    lists each offending field as a JSON pointer and a message."""


class RateLimitError(_WithRetryAfter):
    """429: rate limited (``rate_limited``). Raised once retries are spent, or at once when ``retry_after`` is above the
    client's ``max_retry_after``. ``retry_after`` is the seconds the API asked to wait."""


# Any other error status raises APIStatusError itself.
STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

__all__: list[str] = [
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "STATUS_ERRORS",
    "UnprocessableEntityError",
    "UnsupportedMediaTypeError",
]
