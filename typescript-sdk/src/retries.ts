// The retry policy (README "Retries and timeouts", the same as the Python client's _retries.py). Every call action
// is non-idempotent (DTMF sent twice presses the keys twice, a transfer sent twice dials twice) and the API has no
// idempotency key, so only what the API cannot have processed is sent again: a 429, after its Retry-After and up
// to a cap, and a connection that failed before any of the request was written. Anything else ends the call.

export const DEFAULT_MAX_RETRIES = 2;
export const DEFAULT_RETRY_AFTER_CAP_MS = 60_000; // a longer Retry-After is the caller's decision, not the client's
const BACKOFF_INITIAL_MS = 500;
const BACKOFF_MAX_MS = 8_000;
const BACKOFF_JITTER = 0.25;

/** Waits between attempts; tests pass a fake clock. */
export type Sleep = (ms: number) => Promise<void> | void;

const DELTA_SECONDS = /^\s*\+?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/** Seconds a Retry-After header asks to wait (delta-seconds or an HTTP date), undefined when absent or unusable. */
export function retryAfterSeconds(headers: Headers, now: number = Date.now()): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  if (DELTA_SECONDS.test(value)) return Number(value);
  if (!/\bGMT\b/.test(value)) return undefined; // an HTTP date is always in GMT; anything else is not one
  const when = Date.parse(value);
  return Number.isNaN(when) ? undefined : Math.max((when - now) / 1000, 0);
}

/** Exponential, capped, with jitter so that clients that failed together do not come back together. */
export function backoffMs(retriesDone: number, random: () => number = Math.random): number {
  return Math.min(BACKOFF_INITIAL_MS * 2 ** retriesDone, BACKOFF_MAX_MS) * (1 - BACKOFF_JITTER * random());
}

/** What to do after an attempt: the milliseconds to wait before sending it again, or undefined to stop there. */
export class RetryPolicy {
  readonly maxRetries: number;
  readonly retryAfterCapMs: number;

  constructor(maxRetries: number, retryAfterCapMs: number) {
    if (!(maxRetries >= 0 && retryAfterCapMs >= 0)) {
      throw new RangeError('maxRetries and retryAfterCapMs must be 0 or more');
    }
    this.maxRetries = maxRetries;
    this.retryAfterCapMs = retryAfterCapMs;
  }

  afterAnswer(response: Response, retriesDone: number): number | undefined {
    if (response.status !== 429 || retriesDone >= this.maxRetries) return undefined;
    const seconds = retryAfterSeconds(response.headers);
    if (seconds === undefined) return backoffMs(retriesDone); // a 429 was not processed: safe to send again
    const wait = seconds * 1000;
    return wait <= this.retryAfterCapMs ? wait : undefined;
  }

  /** `retryable`: the connection failed before anything was written, in a way worth trying again. */
  afterFailure(retryable: boolean, retriesDone: number): number | undefined {
    if (!retryable || retriesDone >= this.maxRetries) return undefined;
    return backoffMs(retriesDone);
  }
}
