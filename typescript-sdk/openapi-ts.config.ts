// @hey-api/openapi-ts settings for the SDK's generated code (`make client`). Everything in src/generated/ is
// written by the generator (and tools/webhook_schemas.py): never edited by hand.
import { defineConfig } from '@hey-api/openapi-ts';

export default defineConfig({
  input: '../openapi/call-actions.yaml',
  output: {
    path: 'src/generated',
    module: { extension: '.js' }, // ES modules for Node (NodeNext): relative imports name their file
  },
  plugins: [
    // The default client (an operation called without `client`) is made with src/runtime-config.ts: the SDK's policy.
    { name: '@hey-api/client-fetch', runtimeConfigPath: './src/runtime-config.js' },
    '@hey-api/typescript',
    '@hey-api/sdk',
  ],
});
