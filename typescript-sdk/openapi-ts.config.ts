// @hey-api/openapi-ts settings for the SDK's generated code (`make client`). Everything in src/generated/ is
// written by the generator (and tools/client_facts.py): never edited by hand.
import { join } from 'node:path';
import { defineConfig } from '@hey-api/openapi-ts';

// `make client` writes src/generated/; `make check-client` names a folder under build/ to compare with it.
const output = process.env.TRYVOX_TS_OUTPUT ?? 'src/generated';

export default defineConfig({
  input: '../openapi/call-actions.yaml',
  output: {
    path: output,
    module: { extension: '.js' }, // ES modules for Node (NodeNext): relative imports name their file
  },
  plugins: [
    // The default client (an operation called without `client`) is made with src/runtime-config.ts: the SDK's policy.
    // Named beside the output folder, so the generated import is the same wherever the output is written.
    { name: '@hey-api/client-fetch', runtimeConfigPath: join(output, '..', 'runtime-config.js') },
    '@hey-api/typescript',
    '@hey-api/sdk',
  ],
});
