// createTryvoxClient: the generated fetch client with bearer auth, a User-Agent, finite timeouts, the retry policy
// (transport.ts) and, with throwOnError, typed errors (errors.ts). README "Retries and timeouts" is the policy.
import { setTimeout as delay } from 'node:timers/promises';
import { type Client, createClient, createConfig } from './generated/client/index.js';
import { client as generatedClient } from './generated/client.gen.js';
import { TryvoxConnectionError } from './errors.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS } from './generated/facts.gen.js';
import { DEFAULT_MAX_RETRIES, DEFAULT_RETRY_AFTER_CAP_MS, RetryPolicy, type Sleep } from './retries.js';
import { statusError } from './status-error.js';
import { agentFor, fetchAttempt, retryingFetch, undiciAttempt } from './transport.js';
import { VERSION } from './version.js';

// The figures and why they are what they are: openapi/client-facts.yaml (the Python client's too).
export { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS };
export const USER_AGENT = `tryvox-call-actions/${VERSION} node/${process.versions.node.split('.').slice(0, 2).join('.')}`;

export interface TryvoxClientOptions {
  /** The API token (`tvx_sk_live_…` or `tvx_sk_test_…`), sent as `Authorization: Bearer …`. */
  token: string;
  /** Default: the spec's server, `https://api.tryvox.io`. */
  baseUrl?: string;
  /** How long to wait for the answer's headers, and between parts of its body (default 30 000). */
  timeoutMs?: number;
  /** How long to wait for a connection (default 5 000, and never more than `timeoutMs`). */
  connectTimeoutMs?: number;
  /** How many times a request the API cannot have processed is sent again: a 429 (after its Retry-After) and a
   * connection that was never made. 0 turns retries off. Default 2. */
  maxRetries?: number;
  /** The longest Retry-After the client waits (default 60 000); a 429 asking for longer is thrown at once. */
  retryAfterCapMs?: number;
  /** Throw a TryvoxApiError subclass for every error answer instead of resolving to `{ error }`. Recommended;
   * each call can also pass `throwOnError: true`, which also types `data` as always there. */
  throwOnError?: boolean;
  /** Headers sent with every request (a `User-Agent` here replaces the SDK's). */
  headers?: Record<string, string>;
  /** How the client waits between attempts (default: a timer); tests pass a fake clock. */
  sleep?: Sleep;
  /** Send each attempt with this fetch instead of the SDK's undici agent (for example a mock in tests). It gets one
   * signal that aborts after `timeoutMs`; a timeout then counts as the request having been sent. */
  fetch?: typeof fetch;
}

/**
 * A client for the generated functions (`sendDtmf({ client, path, body })`, …): bearer auth, a finite timeout and
 * retries of only what the API cannot have processed.
 */
export function createTryvoxClient(options: TryvoxClientOptions): Client {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const connectMs = Math.min(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, timeoutMs);
  const policy = new RetryPolicy(
    options.maxRetries ?? DEFAULT_MAX_RETRIES,
    options.retryAfterCapMs ?? DEFAULT_RETRY_AFTER_CAP_MS,
  );
  const attempt = options.fetch
    ? fetchAttempt(options.fetch, timeoutMs)
    : undiciAttempt(agentFor({ connectMs, readMs: timeoutMs }));
  const sleep: Sleep = options.sleep ?? ((ms) => delay(ms));
  const client = createClient(
    createConfig({
      baseUrl: options.baseUrl ?? generatedClient.getConfig().baseUrl,
      auth: options.token,
      headers: { 'User-Agent': USER_AGENT, ...options.headers },
      throwOnError: options.throwOnError ?? false,
      fetch: retryingFetch(attempt, policy, sleep),
    }),
  );
  client.interceptors.error.use((error, response, _request, requestOptions) => {
    if (error instanceof TryvoxConnectionError) throw error; // no answer: thrown whatever throwOnError says
    const throwOnError = requestOptions.throwOnError ?? client.getConfig().throwOnError;
    return throwOnError && response !== undefined && !response.ok ? statusError(response, error) : error;
  });
  return client;
}
