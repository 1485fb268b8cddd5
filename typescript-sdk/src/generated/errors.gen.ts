// One error class per error status the spec documents, from call-actions.yaml (spec version 1.1.2) and
// client-facts.yaml, written by tools/client_facts.py when the SDK is generated: do not edit. Their bases (the
// logic) are in src/errors.ts.
import { TryvoxApiError, WithFieldErrors, WithRetryAfter } from '../errors.js';

/** 400: the body is not valid JSON (`invalid_json`). */
export class BadRequestError extends TryvoxApiError {}

/** 401: no token, or not a valid one (`unauthorized`). */
export class AuthenticationError extends TryvoxApiError {}

/** 403: the token is not for this `auth_id` (`forbidden`). */
export class PermissionDeniedError extends TryvoxApiError {}

/** 404: no such call on this account (`call_not_found`). */
export class NotFoundError extends TryvoxApiError {}

/**
 * 409: the call's state refuses the action (`call_not_in_progress`, `recording_already_running`,
 * `no_active_recording`).
 */
export class ConflictError extends TryvoxApiError {}

/** 413: the body is too large (`payload_too_large`). */
export class PayloadTooLargeError extends TryvoxApiError {}

/** 415: the body is not JSON (`unsupported_media_type`). */
export class UnsupportedMediaTypeError extends TryvoxApiError {}

/**
 * 422: a field breaks the schema or a business rule (`validation_failed`, `caller_id_not_owned`); `errors` lists
 * each offending field as a JSON pointer and a message.
 */
export class UnprocessableEntityError extends WithFieldErrors {}

/**
 * 429: rate limited (`rate_limited`). Thrown once retries are spent, or at once when `retryAfter` is above the
 * client's `retryAfterCapMs`. `retryAfter` is the seconds the API asked to wait.
 */
export class RateLimitError extends WithRetryAfter {}

/** One class per error status the spec documents; any other error status throws TryvoxApiError itself. */
export const STATUS_ERRORS = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  413: PayloadTooLargeError,
  415: UnsupportedMediaTypeError,
  422: UnprocessableEntityError,
  429: RateLimitError,
} as const satisfies Record<number, typeof TryvoxApiError>;
