// The package root: the generated functions and types, and the hand-written client, errors and webhook parsers.
export * from './generated/index.js';
export type { Client } from './generated/client/index.js';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
  USER_AGENT,
  type TryvoxClientOptions,
  createTryvoxClient,
} from './client.js';
export { TryvoxApiError, TryvoxConnectionError, TryvoxError, TryvoxTimeoutError } from './errors.js';
// One class per error status the spec documents, and STATUS_ERRORS (written by tools/client_facts.py).
export * from './generated/errors.gen.js';
export { DEFAULT_MAX_RETRIES, DEFAULT_RETRY_AFTER_CAP_MS, type Sleep, backoffMs, retryAfterSeconds } from './retries.js';
export {
  type PayloadViolation,
  type WebhookBody,
  WebhookPayloadError,
  parseCallHangup,
  parseTransferAnswered,
} from './webhooks.js';
export type { Logger } from './logging.js';
export { MissingSettingError } from './policy.js';
export { VERSION } from './version.js';
