// The control client of @tryvox/call-actions/testing: the generated fetch client with the SDK's error classes.
import { TryvoxConnectionError } from '../errors.js';
import { statusError } from '../status-error.js';
import { connectionError } from '../transport.js';
import { type Client, createClient, createConfig } from './generated/client/index.js';
import { client as defaultClient } from './generated/client.gen.js';
import type { ClientOptions } from './generated/types.gen.js';
import { DEFAULT_SIMULATOR_URL } from './runtime-config.js';

/** Refusals as the SDK's per-status classes; no answer at all as TryvoxConnectionError. */
function withTypedErrors(client: Client): Client {
  client.interceptors.error.use((error, response) => {
    if (response === undefined) return error instanceof TryvoxConnectionError ? error : connectionError(error);
    return response.ok ? error : statusError(response, error);
  });
  return client;
}

/** A client of one simulator's control plane (default TVX_BASE_URL, else http://127.0.0.1:4010): pass it as
 * `client` to any function of this module. Every call throws on a refusal, so `data` is always there. */
export function createSimulatorClient(options: { baseUrl?: string; fetch?: typeof fetch } = {}): Client {
  const baseUrl = options.baseUrl ?? (process.env.TVX_BASE_URL || DEFAULT_SIMULATOR_URL);
  const config = createConfig<ClientOptions>({ baseUrl, throwOnError: true, ...(options.fetch && { fetch: options.fetch }) });
  return withTypedErrors(createClient(config));
}

withTypedErrors(defaultClient);
