// createTryvoxClient: the generated fetch client with the SDK's policy (policy.ts: bearer auth, a User-Agent, finite
// timeouts, the retry policy and its log lines) and, with throwOnError, typed errors. The default client, which an
// operation called without `client` uses, is made with the same policy (runtime-config.ts); its errors are typed
// here too, when the package is loaded. README "Retries and timeouts" is the policy.
import { type Client, createClient, createConfig } from './generated/client/index.js';
import { client as defaultClient } from './generated/client.gen.js';
import { TryvoxConnectionError } from './errors.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS } from './generated/facts.gen.js';
import { MissingSettingError, TOKEN_VARIABLE, type TryvoxClientOptions, USER_AGENT, missingToken, policyConfig } from './policy.js';
import { statusError } from './status-error.js';

// The figures and why they are what they are: openapi/client-facts.yaml (the Python client's too).
export { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, type TryvoxClientOptions, USER_AGENT };

/**
 * A client for the generated functions (`sendDtmf({ client, path, body })`, …): bearer auth, a finite timeout and
 * retries of only what the API cannot have processed. Options left out are read from the environment: the token
 * from TVX_API_TOKEN (a missing one throws, naming it), the base URL from TVX_BASE_URL, the log from TVX_LOG.
 */
export function createTryvoxClient(options: TryvoxClientOptions = {}): Client {
  const token = options.token ?? process.env[TOKEN_VARIABLE];
  if (!token) throw missingToken();
  return withTypedErrors(createClient(createConfig(policyConfig(options, token))));
}

/** Errors as the policy says: no answer, or a missing setting, throws whatever throwOnError says; with throwOnError
 * an error answer throws its status's class. */
function withTypedErrors(client: Client): Client {
  client.interceptors.error.use((error, response, _request, requestOptions) => {
    if (error instanceof TryvoxConnectionError || error instanceof MissingSettingError) throw error;
    const throwOnError = requestOptions.throwOnError ?? client.getConfig().throwOnError;
    return throwOnError && response !== undefined && !response.ok ? statusError(response, error) : error;
  });
  return client;
}

withTypedErrors(defaultClient);
