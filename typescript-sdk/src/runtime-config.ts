// The SDK's default client, the one an operation called without `client` uses (`sendDtmf({ path, body })`), carries
// the policy too: hey-api makes it with this createClientConfig (runtimeConfigPath in openapi-ts.config.ts) when the
// package is loaded, reading TVX_BASE_URL and TVX_LOG then; the token is read from TVX_API_TOKEN at each request, so
// that a missing one fails the call (naming the variable), not the import. client.ts types its errors.
import type { CreateClientConfig } from './generated/client.gen.js';
import { TOKEN_VARIABLE, missingToken, policyConfig } from './policy.js';

function tokenFromEnvironment(): string {
  const token = process.env[TOKEN_VARIABLE];
  if (!token) throw missingToken();
  return token;
}

export const createClientConfig: CreateClientConfig = (config) => ({
  ...config,
  ...policyConfig({}, tokenFromEnvironment),
});
