// The base URL, retry and timeout figures both clients share (README "Retries and timeouts"), from call-actions.yaml
// (spec version 1.1.2) and client-facts.yaml, written by tools/client_facts.py when the SDK is generated: do not
// edit.

export const DEFAULT_BASE_URL = "https://api.tryvox.io"; // the spec's first server
export const DEFAULT_MAX_RETRIES = 2;
export const DEFAULT_RETRY_AFTER_CAP_MS = 60_000;
// Retry n (from 0) waits min(BACKOFF_INITIAL_MS × 2ⁿ, BACKOFF_MAX_MS) × (1 − BACKOFF_JITTER × random).
export const BACKOFF_INITIAL_MS = 500;
export const BACKOFF_MAX_MS = 8_000;
export const BACKOFF_JITTER = 0.25;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
