// Errors the SDK throws: one class per error status the spec documents, and the network errors. The Python
// client's are the same classes (APIError, APIStatusError, APIConnectionError, APITimeoutError there; the
// per-status names are equal); README "Retries and timeouts" states when each is thrown.
import type { Problem } from './generated/types.gen.js';
import { retryAfterSeconds } from './retries.js';

/** Anything the SDK throws for a request that did not succeed. */
export class TryvoxError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The API answered with an error status. `problem` is its RFC 9457 body when it sent one, `code` the problem's
 * stable machine code. Thrown with `throwOnError: true`; without it the call resolves to `{ error: problem }`.
 */
export class TryvoxApiError extends TryvoxError {
  readonly status: number;
  readonly code: string | undefined;
  readonly problem: Problem | undefined;
  readonly response: Response;

  constructor(response: Response, problem: Problem | undefined) {
    const text = [problem?.code, problem?.detail ?? problem?.title].filter(Boolean).join(' ');
    super(`${response.status} ${text}`.trimEnd());
    this.response = response;
    this.status = response.status;
    this.problem = problem;
    this.code = problem?.code;
  }
}

/** 400: the body is not valid JSON (`invalid_json`). */
export class BadRequestError extends TryvoxApiError {}

/** 401: no token, or not a valid one (`unauthorized`). */
export class AuthenticationError extends TryvoxApiError {}

/** 403: the token is not for this `auth_id` (`forbidden`). */
export class PermissionDeniedError extends TryvoxApiError {}

/** 404: no such call on this account (`call_not_found`). */
export class NotFoundError extends TryvoxApiError {}

/** 409: the call's state refuses the action (`call_not_in_progress`, `recording_already_running`, `no_active_recording`). */
export class ConflictError extends TryvoxApiError {}

/** 413: the body is too large (`payload_too_large`). */
export class PayloadTooLargeError extends TryvoxApiError {}

/** 415: the body is not JSON (`unsupported_media_type`). */
export class UnsupportedMediaTypeError extends TryvoxApiError {}

/**
 * 422: a field breaks the schema or a business rule (`validation_failed`, `caller_id_not_owned`); `errors` lists
 * each offending field as a JSON pointer and a message.
 */
export class UnprocessableEntityError extends TryvoxApiError {
  get errors(): NonNullable<Problem['errors']> {
    return this.problem?.errors ?? [];
  }
}

/**
 * 429: rate limited (`rate_limited`). Thrown once retries are spent, or at once when `retryAfter` is above the
 * client's `retryAfterCapMs`. `retryAfter` is the seconds the API asked to wait.
 */
export class RateLimitError extends TryvoxApiError {
  get retryAfter(): number | undefined {
    return retryAfterSeconds(this.response.headers);
  }
}

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

function isStatus(status: number): status is keyof typeof STATUS_ERRORS {
  return Object.hasOwn(STATUS_ERRORS, status);
}

function isProblem(body: unknown): body is Problem {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const fields = body as Record<string, unknown>;
  return typeof fields.status === 'number' && typeof fields.code === 'string' && typeof fields.title === 'string';
}

/** The error for an answer of status >= 400, given its parsed body (not a problem: the status still says what happened). */
export function statusError(response: Response, body: unknown): TryvoxApiError {
  const problem = isProblem(body) ? body : undefined;
  const ErrorClass = isStatus(response.status) ? STATUS_ERRORS[response.status] : TryvoxApiError;
  return new ErrorClass(response, problem);
}

/**
 * The request got no answer. `requestSent` is false when nothing was written (the API cannot have processed it,
 * and the client retries it), true when some or all of it may have been: the action may have been carried out, so
 * the client never sends it again. Thrown whether or not `throwOnError` is set.
 */
export class TryvoxConnectionError extends TryvoxError {
  readonly requestSent: boolean;

  constructor(message: string, options: { requestSent: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.requestSent = options.requestSent;
  }
}

/** The request timed out: connecting (`requestSent` false, retried) or waiting for the answer (true, never retried). */
export class TryvoxTimeoutError extends TryvoxConnectionError {}
