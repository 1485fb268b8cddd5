// tests/client_behaviour.json: the behaviour the Python client and this SDK share, as data. The Python names of its
// errors map to this SDK's here, in one place; the per-status classes have the same names in both.
import * as sdk from '../src/index.js';
import type { FaultFields, Json } from './simulator.js';
import { readText } from './paths.js';

export interface ClientOptions {
  raise_on_error?: boolean;
  max_retries?: number;
  max_retry_after?: number;
  timeout?: number;
}

export interface RetryScenario {
  name: string;
  rule: string;
  client?: ClientOptions;
  faults?: FaultFields[];
  account_rate_limit?: string;
  sends?: number;
  unreachable?: boolean;
  expect: {
    outcome: 'ok' | 'error' | 'problem';
    error?: string;
    status?: number;
    code?: string;
    request_sent?: boolean;
    retry_after?: number;
    statuses: (number | null)[];
    carried_out?: boolean[];
    actions_on_the_call?: number;
    waits: (number | 'backoff')[];
  };
}

export interface WebhookCase {
  name: string;
  webhook: 'callHangup' | 'transferAnswered';
  payload?: Json;
  raw?: string;
  base?: string;
  set?: Record<string, Json>;
  remove?: string;
  error_pointer?: string;
}

export interface Behaviour {
  defaults: {
    max_retries: number;
    max_retry_after: number;
    timeout: number;
    connect_timeout: number;
    backoff: { initial: number; max: number; jitter: number };
  };
  status_errors: Record<string, string>;
  retry_after: { now: number; cases: { value: string | null; seconds: number | null }[] };
  retries: RetryScenario[];
  webhooks: WebhookCase[];
}

export const BEHAVIOUR = JSON.parse(readText('tests/client_behaviour.json')) as Behaviour;

// The Python client's names for the classes whose TypeScript names differ (README "Retries and timeouts").
const PYTHON_NAMES: Record<string, string> = {
  APIError: 'TryvoxError',
  APIStatusError: 'TryvoxApiError',
  APIConnectionError: 'TryvoxConnectionError',
  APITimeoutError: 'TryvoxTimeoutError',
};

/** The SDK's error class for a name the JSON uses (a Python class name). */
export function errorClass(pythonName: string): new (...args: never[]) => Error {
  const name = PYTHON_NAMES[pythonName] ?? pythonName;
  const found: unknown = (sdk as Record<string, unknown>)[name];
  if (typeof found !== 'function') throw new Error(`the SDK exports no error class ${name} (for ${pythonName})`);
  return found as new (...args: never[]) => Error;
}
