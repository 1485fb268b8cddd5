// The default client of @tryvox/call-actions/testing, the one a control-plane function called without `client` uses
// (`getCoverage()`): hey-api makes it with this createClientConfig (runtimeConfigPath in openapi-ts.config.ts) when the
// module is loaded. It drives the simulator at TVX_BASE_URL (the line `tryvox-sim serve` prints), else the one on
// 127.0.0.1:4010, and throws on every refusal (index.ts types the errors).
import type { CreateClientConfig } from './generated/client.gen.js';

export const DEFAULT_SIMULATOR_URL = 'http://127.0.0.1:4010';

export const createClientConfig: CreateClientConfig = (config) => ({
  ...config,
  baseUrl: process.env.TVX_BASE_URL || DEFAULT_SIMULATOR_URL,
  throwOnError: true,
});
