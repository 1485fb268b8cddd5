// The configuration every client of the SDK carries, createTryvoxClient's and the default one's (runtime-config.ts):
// bearer auth, a User-Agent, finite timeouts, the retry policy (transport.ts) and its log lines (logging.ts). README
// "Retries and timeouts" is the policy; the figures are openapi/client-facts.yaml's (src/generated/facts.gen.ts).
import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from './generated/client/index.js';
import { DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS } from './generated/facts.gen.js';
import { type Logger, loggerFromEnvironment } from './logging.js';
import { DEFAULT_MAX_RETRIES, DEFAULT_RETRY_AFTER_CAP_MS, RetryPolicy, type Sleep } from './retries.js';
import { agentFor, fetchAttempt, retryingFetch, undiciAttempt } from './transport.js';
import { VERSION } from './version.js';

export const USER_AGENT = `tryvox-call-actions/${VERSION} node/${process.versions.node.split('.').slice(0, 2).join('.')}`;
export const TOKEN_VARIABLE = 'TVX_API_TOKEN';
export const BASE_URL_VARIABLE = 'TVX_BASE_URL';

export interface TryvoxClientOptions {
  /** The API token (`tvx_sk_live_…` or `tvx_sk_test_…`), sent as `Authorization: Bearer …`. Default: TVX_API_TOKEN
   * (one of the two is required). */
  token?: string;
  /** Default: TVX_BASE_URL, else the spec's server, `https://api.tryvox.io`. */
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
  /** Where the client says what it does: a line per attempt and per retry decision (info), the bodies (debug); never
   * the token. Default: TVX_LOG=info or debug writes them to stderr, otherwise none. */
  logger?: Logger;
  /** How the client waits between attempts (default: a timer); tests pass a fake clock. */
  sleep?: Sleep;
  /** Send each attempt with this fetch instead of the SDK's undici agent (for example a mock in tests). It gets one
   * signal that aborts after `timeoutMs`; a timeout then counts as the request having been sent. */
  fetch?: typeof fetch;
}

/** A setting the client cannot do without is missing: thrown whatever `throwOnError` says. */
export class MissingSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingSettingError';
  }
}

export function missingToken(): MissingSettingError {
  return new MissingSettingError(`no API token: pass token or set ${TOKEN_VARIABLE} (a secret key tvx_sk_live_… or tvx_sk_test_…)`);
}

/** The hey-api configuration of a client with the policy; `auth` is the token, or reads it at each request. */
export function policyConfig(options: TryvoxClientOptions, auth: string | (() => string)): Config {
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
  return {
    baseUrl: options.baseUrl ?? (process.env[BASE_URL_VARIABLE] || DEFAULT_BASE_URL),
    auth,
    headers: { 'User-Agent': USER_AGENT, ...options.headers },
    throwOnError: options.throwOnError ?? false,
    fetch: retryingFetch(attempt, policy, sleep, options.logger ?? loggerFromEnvironment()),
  };
}
