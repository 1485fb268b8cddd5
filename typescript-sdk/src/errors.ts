// Errors the SDK throws: the bases of the per-status classes (those, one per error status the spec documents, are
// written into src/generated/errors.gen.ts by tools/client_facts.py from the spec and openapi/client-facts.yaml),
// and the network errors. The Python client's are the same classes (APIError, APIStatusError, APIConnectionError,
// APITimeoutError there; the per-status names are equal); README "Retries and timeouts" states when each is thrown.
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

/** The logic of a status whose problem lists field errors (422: UnprocessableEntityError). */
export class WithFieldErrors extends TryvoxApiError {
  get errors(): NonNullable<Problem['errors']> {
    return this.problem?.errors ?? [];
  }
}

/** The logic of a status that says when to come back (429: RateLimitError). */
export class WithRetryAfter extends TryvoxApiError {
  get retryAfter(): number | undefined {
    return retryAfterSeconds(this.response.headers);
  }
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
