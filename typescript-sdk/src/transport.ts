// How each attempt is sent, and what a failure means: was any of the request written, so that the call action
// may have been carried out? undici (Node's own fetch implementation) sends by default because it has the
// policy's timeouts, per phase as in the Python client: connecting, then waiting for the answer's headers and
// for each part of its body. Node's global fetch has only one signal for all of it.
import { Agent, type Dispatcher, request as undiciRequest } from 'undici';
import { TryvoxConnectionError, TryvoxTimeoutError } from './errors.js';
import { type Logger, RequestLog } from './logging.js';
import type { Decision, RetryPolicy, Sleep } from './retries.js';

/** Sends one attempt of `request` with this body (read once, so that it can be sent again). */
export type Attempt = (request: Request, body: ArrayBuffer | undefined) => Promise<Response>;

export interface Timeouts {
  /** Waiting for the connection. */
  connectMs: number;
  /** Waiting for the answer's headers, and between parts of its body. */
  readMs: number;
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** Attempts through an undici Agent with the given timeouts. Each answer is read whole before it is returned (the
 * API's answers are small JSON), so that an answer cut short fails here, as a failure after writing. */
export function undiciAttempt(agent: Agent): Attempt {
  return async (request, body) => {
    const answer = await undiciRequest(request.url, {
      method: request.method as Dispatcher.HttpMethod, // a Request's method is always a valid one
      headers: Object.fromEntries(request.headers),
      body: body === undefined ? undefined : new Uint8Array(body),
      signal: request.signal,
      dispatcher: agent,
    });
    const bytes = new Uint8Array(await answer.body.arrayBuffer());
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      for (const one of Array.isArray(value) ? value : [value]) {
        if (one !== undefined) headers.append(name, one);
      }
    }
    const content = NULL_BODY_STATUSES.has(answer.statusCode) ? null : bytes;
    return new Response(content, { status: answer.statusCode, headers });
  };
}

export function agentFor(timeouts: Timeouts): Agent {
  return new Agent({
    connect: { timeout: timeouts.connectMs },
    headersTimeout: timeouts.readMs,
    bodyTimeout: timeouts.readMs,
  });
}

/** Attempts through a fetch the caller gave: its own timeouts, plus one signal for the whole attempt. */
export function fetchAttempt(fetchFn: typeof fetch, timeoutMs: number): Attempt {
  return async (request, body) => {
    const signal = AbortSignal.any([request.signal, AbortSignal.timeout(timeoutMs)]);
    const init = { method: request.method, headers: request.headers, body: body ?? null, signal, redirect: request.redirect };
    const response = await fetchFn(request.url, init);
    const bytes = await response.arrayBuffer();
    const content = NULL_BODY_STATUSES.has(response.status) ? null : bytes;
    return new Response(content, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

// Failures before any byte of the request was written: the connection was never made (refused, the name did not
// resolve, no answer to connecting in time). Checked against the simulator's faults in test/retries.test.ts.
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
const NOT_CONNECTED_SYSCALLS = new Set(['connect', 'getaddrinfo']); // EHOSTUNREACH, ENETUNREACH, ... on connecting
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

interface Cause {
  name: string | undefined;
  code: string | undefined;
  syscall: string | undefined;
}

/** The error and each of its causes (fetch wraps the socket's error in a TypeError). */
function causes(error: unknown): Cause[] {
  const found: Cause[] = [];
  for (let at: unknown = error; typeof at === 'object' && at !== null && found.length < 8; ) {
    const fields = at as { name?: unknown; code?: unknown; syscall?: unknown; cause?: unknown };
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    found.push({ name: text(fields.name), code: text(fields.code), syscall: text(fields.syscall) });
    at = fields.cause;
  }
  return found;
}

/** The error the caller gets for a failed attempt. Anything not known to have failed before writing counts as
 * sent: the action may have been carried out, and the client never sends it again. */
export function connectionError(error: unknown): TryvoxConnectionError {
  const found = causes(error);
  const notSent = found.some(
    (cause) =>
      (cause.code !== undefined && NOT_CONNECTED.has(cause.code)) ||
      (cause.syscall !== undefined && NOT_CONNECTED_SYSCALLS.has(cause.syscall)),
  );
  const timedOut = found.some((cause) => (cause.code !== undefined && TIMEOUTS.has(cause.code)) || cause.name === 'TimeoutError');
  const innermost = found.at(-1);
  const what = error instanceof Error ? error.message : String(error);
  const detail = innermost?.code !== undefined ? `${innermost.code}: ${what}` : what;
  const consequence = notSent ? 'nothing was sent' : 'the action may have been carried out';
  const ErrorClass = timedOut ? TryvoxTimeoutError : TryvoxConnectionError;
  return new ErrorClass(`${detail} (${consequence})`, { requestSent: !notSent, cause: error });
}

/** The failure's innermost code (ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT, …) or name, for the log. */
function failureName(error: unknown): string {
  const found = causes(error).reverse();
  return found.find((cause) => cause.code !== undefined)?.code ?? found[0]?.name ?? 'Error';
}

/**
 * A fetch that sends each request by `attempt` and follows the policy: sends it again after a 429 or a connection
 * that was never made, waiting with `sleep`; throws TryvoxConnectionError when an attempt got no answer. Each attempt
 * and each decision is a line for `logger` (logging.ts).
 */
export function retryingFetch(attempt: Attempt, policy: RetryPolicy, sleep: Sleep, logger?: Logger): typeof fetch {
  return async (input, init) => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init);
    const body = request.body === null ? undefined : await request.arrayBuffer();
    const log = new RequestLog(logger, request);
    log.body('sent', body);
    for (let retriesDone = 0; ; retriesDone += 1) {
      const started = performance.now();
      // Only the attempt's own failure is a failure to send: what follows (the log, the policy) throws as it is.
      const outcome = await attempt(request, body).then(
        (response) => ({ response }),
        (error: unknown) => ({ error }),
      );
      let decision: Decision;
      if ('response' in outcome) {
        log.attempt(String(outcome.response.status), started, retriesDone + 1);
        if (logger !== undefined) log.body('received', await outcome.response.clone().arrayBuffer());
        decision = policy.afterAnswer(outcome.response, retriesDone);
        if (decision.why) log.decision(decision.waitMs, decision.why, retriesDone, policy.maxRetries);
        if (decision.waitMs === undefined) return outcome.response;
      } else {
        if (request.signal.aborted) throw request.signal.reason; // the caller's own abort: theirs to handle
        const failure = connectionError(outcome.error);
        const name = failureName(outcome.error);
        const consequence = failure.requestSent ? 'the action may have been carried out' : 'nothing was sent';
        log.attempt(`no answer, ${name} (${consequence})`, started, retriesDone + 1);
        decision = policy.afterFailure({ name, requestSent: failure.requestSent }, retriesDone);
        log.decision(decision.waitMs, decision.why, retriesDone, policy.maxRetries);
        if (decision.waitMs === undefined) throw failure;
      }
      await sleep(decision.waitMs);
      if (request.signal.aborted) throw request.signal.reason;
    }
  };
}
