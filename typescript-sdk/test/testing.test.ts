// @tryvox/call-actions/testing: one generated function per control-plane operation of openapi/simulator.yaml, typed,
// throwing the SDK's error classes on a refusal; startSimulator; the default client reading TVX_BASE_URL.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ConflictError, NotFoundError, TryvoxConnectionError, UnprocessableEntityError } from '../src/index.js';
import * as testing from '../src/testing/index.js';
import { SDK_DIR, readText } from './paths.js';
import { type Simulator, startSimulator } from './simulator.js';

const run = promisify(execFile);
let sim: Simulator;
before(async () => {
  sim = await startSimulator();
});
after(() => sim.stop());

function camel(operationId: string): string {
  return operationId.charAt(0).toLowerCase() + operationId.slice(1);
}

describe('the control client', () => {
  test('every operation of openapi/simulator.yaml is a function, and nothing else is', () => {
    const operations = [...readText('openapi/simulator.yaml').matchAll(/^\s+operationId: (\w+)$/gm)].map((m) => camel(m[1] ?? ''));
    assert.ok(operations.length >= 25, `${operations.length} operations`);
    for (const name of operations) assert.equal(typeof (testing as Record<string, unknown>)[name], 'function', name);
    const helpers = ['createSimulatorClient', 'startSimulator', 'DEFAULT_SIMULATOR_URL'];
    assert.deepEqual(Object.keys(testing).filter((name) => !operations.includes(name)).sort(), helpers.sort());
  });

  test('answers are typed data; a refusal throws the SDK class of its status, with its problem', async () => {
    const client = sim.client;
    await testing.resetWorld({ client });
    const fault = (await testing.createFault({ client, body: { operation: 'sendDtmf', fault: 'reset', after: 'action' } })).data;
    assert.deepEqual([fault.id, fault.after, fault.times], ['f1', 'action', 1]);
    await assert.rejects(testing.createFault({ client, body: { operation: 'sendDtmf', after: 'action' } }), (error: unknown) => {
      assert.ok(error instanceof UnprocessableEntityError);
      assert.deepEqual(error.errors.map((field) => field.pointer), ['/after']);
      return true;
    });
    await assert.rejects(testing.deleteFault({ client, path: { fault_id: 'f99' } }), (error: unknown) => error instanceof NotFoundError && error.code === 'fault_not_found');
    const call = (await testing.createCall({ client, body: {} })).data;
    const ended = (await testing.triggerWebhook({ client, path: { call_uuid: call.call_uuid }, body: { event: 'callHangup', url: 'http://127.0.0.1:9/h' } })).data;
    assert.equal(ended.call.status, 'completed');
    assert.deepEqual(ended.webhooks, [{ event: 'callHangup', url: 'http://127.0.0.1:9/h' }]);
    await assert.rejects(
      testing.triggerWebhook({ client, path: { call_uuid: call.call_uuid }, body: { event: 'callHangup' } }),
      (error: unknown) => error instanceof ConflictError && error.code === 'call_completed',
    );
    const coverage = (await testing.getCoverage({ client })).data;
    assert.equal(coverage.webhooks, 1);
    assert.ok(coverage.items.some((item) => item.id === 'webhook callHangup: receiver answered 2xx'));
  });

  test('no simulator: TryvoxConnectionError saying nothing was sent', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as AddressInfo;
        server.close(() => resolve(free)); // released: nothing listens there now
      });
    });
    const client = testing.createSimulatorClient({ baseUrl: `http://127.0.0.1:${port}` });
    await assert.rejects(testing.getHealth({ client }), (error: unknown) => error instanceof TryvoxConnectionError && !error.requestSent);
  });

  test('called without a client, the functions drive the simulator at TVX_BASE_URL', async () => {
    await testing.resetWorld({ client: sim.client });
    const code = `import { createFault, listFaults } from '@tryvox/call-actions/testing';
await createFault({ body: { operation: 'speakText', status: 409 } });
console.log((await listFaults()).data.faults.map((fault) => fault.operation).join());`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: SDK_DIR, env: { ...process.env, TVX_BASE_URL: sim.baseUrl } });
    assert.equal(stdout.trim(), 'speakText');
  });
});
