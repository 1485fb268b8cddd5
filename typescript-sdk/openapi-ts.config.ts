// @hey-api/openapi-ts settings for the SDK's generated code (`make client`). Everything in src/generated/ is
// written by the generator (and tools/webhook_schemas.py): never edited by hand.
import { defineConfig } from '@hey-api/openapi-ts';

export default defineConfig({
  input: '../openapi/call-actions.yaml',
  output: {
    // `make client` writes src/generated/; `make check-client` names a folder under build/ to compare with it.
    path: process.env.TRYVOX_TS_OUTPUT ?? 'src/generated',
    module: { extension: '.js' }, // ES modules for Node (NodeNext): relative imports name their file
  },
  plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
});
