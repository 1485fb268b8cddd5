// The retry policy (README "Retries and timeouts", the same as the Python client's _retries.py). Every call action
// is non-idempotent (DTMF sent twice presses the keys twice, a transfer sent twice dials twice) and the API has no
// idempotency key, so only what the API cannot have processed is sent again: a 429, after its Retry-After and up
// to a cap, and a connection that failed before any of the request was written. Anything else ends the call.

import { BACKOFF_INITIAL_MS, BACKOFF_JITTER, BACKOFF_MAX_MS } from './generated/facts.gen.js';

// The figures (openapi/client-facts.yaml, written into src/generated/facts.gen.ts by tools/client_facts.py) are the
// Python client's too.
export { DEFAULT_MAX_RETRIES, DEFAULT_RETRY_AFTER_CAP_MS } from './generated/facts.gen.js';

/** Waits between attempts; tests pass a fake clock. */
export type Sleep = (ms: number) => Promise<void> | void;

// Retry-After (RFC 9110 10.2.3) is delay-seconds (a fraction is accepted too) or an HTTP-date in any of its three
// forms (5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime ones a recipient must still read. Anything else is
// unusable. tests/client_behaviour.json "retry_after" holds this and the Python client's _retries.py to the same cases.
const DELAY_SECONDS = /^\d+(\.\d+)?$/;
const HTTP_DATES = [ // (day, month, year, time) in the order each form writes them
  /^[A-Z][a-z]{2}, (?<day>\d\d) (?<month>\w{3}) (?<year>\d{4}) (?<time>\d\d:\d\d:\d\d) GMT$/,
  /^[A-Z][a-z]{5,8}, (?<day>\d\d)-(?<month>\w{3})-(?<year>\d\d) (?<time>\d\d:\d\d:\d\d) GMT$/,
  /^[A-Z][a-z]{2} (?<month>\w{3}) (?<day>[ \d]\d) (?<time>\d\d:\d\d:\d\d) (?<year>\d{4})$/,
];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Seconds a Retry-After header asks to wait from `now` (ms since the epoch), undefined when absent or unusable; a
 * date in the past is 0. */
export function retryAfterSeconds(headers: Headers, now: number = Date.now()): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (value === undefined) return undefined;
  if (DELAY_SECONDS.test(value)) return Number(value);
  const when = httpDate(value, now);
  return when === undefined ? undefined : Math.max((when - now) / 1000, 0);
}

/** The time (ms since the epoch) of an HTTP-date, undefined when it is not one (a day that does not exist included). */
export function httpDate(value: string, now: number): number | undefined {
  for (const form of HTTP_DATES) {
    const found = form.exec(value)?.groups;
    const month = MONTHS.indexOf(found?.month ?? '');
    if (found === undefined || month < 0) continue;
    let year = Number(found.year);
    const day = Number(found.day);
    const [hour = 0, minute = 0, second = 0] = (found.time ?? '').split(':').map(Number);
    if (year < 100) year += year + 2000 <= new Date(now).getUTCFullYear() + 50 ? 2000 : 1900; // RFC 850's two digits
    const when = new Date(Date.UTC(year, month, day, hour, minute, second));
    // Date.UTC rolls a day or time that does not exist over into the next; such a date is not one.
    if (when.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
    return when.getTime();
  }
  return undefined;
}

/** Exponential, capped, with jitter so that clients that failed together do not come back together. */
export function backoffMs(retriesDone: number, random: () => number = Math.random): number {
  return Math.min(BACKOFF_INITIAL_MS * 2 ** retriesDone, BACKOFF_MAX_MS) * (1 - BACKOFF_JITTER * random());
}

/** After an attempt: the milliseconds to wait before sending it again (undefined: stop there), and why (logged). */
export interface Decision {
  waitMs: number | undefined;
  why: string;
}

/** What to do after an attempt: send it again after a wait, or stop there. */
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

  afterAnswer(response: Response, retriesDone: number): Decision {
    if (response.status !== 429) return { waitMs: undefined, why: '' }; // the answer the caller gets
    const asked = retryAfterSeconds(response.headers);
    if (retriesDone >= this.maxRetries) return { waitMs: undefined, why: `429 after ${retriesDone} of ${this.maxRetries} retries` };
    if (asked === undefined) {
      // a 429 was not processed: safe to send again, at the backoff's pace
      return { waitMs: backoffMs(retriesDone), why: '429 without a usable Retry-After: the backoff' };
    }
    if (asked * 1000 > this.retryAfterCapMs) {
      return { waitMs: undefined, why: `429 with Retry-After ${asked} s, longer than the ${this.retryAfterCapMs / 1000} s waited` };
    }
    return { waitMs: asked * 1000, why: `429 with Retry-After ${asked} s` };
  }

  /** After a failed attempt: `name` says what failed, `requestSent` whether any of the request may have been written. */
  afterFailure(failure: { name: string; requestSent: boolean }, retriesDone: number): Decision {
    const { name } = failure;
    if (failure.requestSent) {
      return { waitMs: undefined, why: `${name} after the request was written: the action may have been carried out` };
    }
    if (retriesDone >= this.maxRetries) {
      return { waitMs: undefined, why: `${name}, no connection, after ${retriesDone} of ${this.maxRetries} retries` };
    }
    return { waitMs: backoffMs(retriesDone), why: `${name}, no connection: the backoff` };
  }
}
