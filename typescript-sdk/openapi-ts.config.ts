// @hey-api/openapi-ts settings for the SDK's generated code (`make client`): two outputs. src/generated/ is the SDK,
// from the Call Actions spec; src/testing/generated/ the control client of @tryvox/call-actions/testing, from the
// simulator's control-plane spec. Everything in both is written by the generator (and tools/client_facts.py): never
// edited by hand.
import { join } from 'node:path';
import { defineConfig } from '@hey-api/openapi-ts';

// `make client` writes src/generated/; `make check-client` names a folder under build/ to compare with it. The
// testing output sits beside it, as src/testing/generated/ does beside src/generated/.
const output = process.env.TRYVOX_TS_OUTPUT ?? 'src/generated';
const testingOutput = join(output, '..', 'testing', 'generated');
const esModules = { extension: '.js' } as const; // ES modules for Node (NodeNext): relative imports name their file

export default defineConfig([
  {
    input: '../openapi/call-actions.yaml',
    output: { path: output, module: esModules },
    plugins: [
      // The default client (an operation called without `client`) is made with src/runtime-config.ts: the SDK's
      // policy. Named beside the output folder, so the generated import is the same wherever the output is written.
      { name: '@hey-api/client-fetch', runtimeConfigPath: join(output, '..', 'runtime-config.js') },
      '@hey-api/typescript',
      '@hey-api/sdk',
    ],
  },
  {
    input: '../openapi/simulator.yaml',
    output: { path: testingOutput, module: esModules },
    plugins: [
      // Every control-plane call throws on a refusal (src/testing/index.ts types the errors), so `data` is always
      // there; its default client reads TVX_BASE_URL (src/testing/runtime-config.ts).
      {
        name: '@hey-api/client-fetch',
        throwOnError: true,
        runtimeConfigPath: join(testingOutput, '..', 'runtime-config.js'),
      },
      '@hey-api/typescript',
      '@hey-api/sdk',
    ],
  },
]);
