// The service of service.ts against a served simulator (tryvox-sim serve --port 0), driven through
// @tryvox/call-actions/testing: faults, the journal, the clock, webhooks on demand and, at the end, what these tests
// met of the API (its integration coverage). The simulator delivers its webhooks to the service on loopback.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { createTryvoxClient } from '@tryvox/call-actions';
import {
  type ServedSimulator,
  advanceClock,
  createCall,
  createFault,
  getCoverage,
  listRequests,
  listWebhooks,
  resetWorld,
  startSimulator,
  triggerWebhook,
} from '@tryvox/call-actions/testing';
import { type CallState, createService } from './service.js';

const AGENT = '+15005550001'; // the simulator answers a transfer to this number after 1 s
let sim: ServedSimulator;
let service: Server;
let serviceUrl: string;

before(async () => {
  sim = await startSimulator({ args: ['--manual-clock', '--self-check'] });
  const client = createTryvoxClient({
    token: sim.token,
    baseUrl: sim.baseUrl,
    sleep: async (ms) => void (await advanceClock({ client: sim.client, body: { seconds: ms / 1000 } })), // no real wait
  });
  service = createService(client, sim.authId);
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
});

after(async () => {
  const { data: coverage } = await getCoverage({ client: sim.client });
  console.log(`integration coverage: ${coverage.met} of ${coverage.total} met (${coverage.percent}%); never met:`);
  for (const item of coverage.never_met) console.log(`  ${item}`);
  service.close();
  await sim.stop();
});

beforeEach(async () => {
  await resetWorld({ client: sim.client });
});

async function newCall(): Promise<string> {
  const { data } = await createCall({ client: sim.client, body: { hangup_url: `${serviceUrl}/webhooks/hangup` } });
  return data.call_uuid;
}

async function transfer(callUuid: string): Promise<{ status: number; state: CallState }> {
  const response = await fetch(`${serviceUrl}/calls/${callUuid}/transfer`, { method: 'POST', body: JSON.stringify({ to: AGENT }) });
  return { status: response.status, state: (await response.json()) as CallState };
}

async function state(callUuid: string): Promise<CallState> {
  return (await (await fetch(`${serviceUrl}/calls/${callUuid}`)).json()) as CallState;
}

/** The service's view of the call once `done` holds (the webhook came), polled for at most 10 s. */
async function until(callUuid: string, done: (call: CallState) => boolean): Promise<CallState> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = await state(callUuid);
    if (done(found)) return found;
    assert.ok(Date.now() < deadline, `still ${JSON.stringify(found)} after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function transfers(callUuid: string): Promise<(number | null)[]> {
  const { data } = await listRequests({ client: sim.client, query: { operation: 'transferCall', call_uuid: callUuid } });
  return data.requests.map((entry) => entry.status);
}

test('a transfer is accepted, and the hangup webhook says it completed', async () => {
  const callUuid = await newCall();
  assert.deepEqual(await transfer(callUuid), { status: 202, state: { call_uuid: callUuid, transfer: 'transferring', ended: null } });
  await advanceClock({ client: sim.client, body: { seconds: 1 } }); // the agent answers: the caller's call ends
  assert.deepEqual(await until(callUuid, (call) => call.ended !== null), { call_uuid: callUuid, transfer: 'transferred', ended: 'transferred' });
});

test('a rate-limited transfer is sent again after Retry-After', async () => {
  const callUuid = await newCall();
  await createFault({ client: sim.client, body: { operation: 'transferCall', status: 429 } });
  assert.equal((await transfer(callUuid)).state.transfer, 'transferring');
  assert.deepEqual(await transfers(callUuid), [429, 202]);
});

test('an answer lost after the transfer is reconciled from the hangup webhook, never sent again', async () => {
  const callUuid = await newCall();
  await createFault({ client: sim.client, body: { operation: 'transferCall', fault: 'reset', after: 'action' } });
  assert.deepEqual(await transfer(callUuid), { status: 202, state: { call_uuid: callUuid, transfer: 'unconfirmed', ended: null } });
  assert.equal((await transfer(callUuid)).status, 409, 'not twice');
  await advanceClock({ client: sim.client, body: { seconds: 1 } });
  assert.equal((await until(callUuid, (call) => call.ended !== null)).transfer, 'transferred');
  assert.deepEqual(await transfers(callUuid), [null], 'sent once; the simulator carried it out and lost its answer');
});

test('the hangup webhook is handled, and one that breaks the spec is refused', async () => {
  const callUuid = await newCall();
  await triggerWebhook({ client: sim.client, path: { call_uuid: callUuid }, body: { event: 'callHangup' } });
  assert.equal((await until(callUuid, (call) => call.ended !== null)).ended, 'normal_hangup');
  const { data } = await listWebhooks({ client: sim.client });
  assert.deepEqual(data.webhooks.map((delivery) => [delivery.event, delivery.status, delivery.response_status]), [['callHangup', 'delivered', 204]]);
  const refused = await fetch(`${serviceUrl}/webhooks/hangup`, { method: 'POST', body: JSON.stringify({ ...data.webhooks[0]?.payload, status: 'hung-up' }) });
  assert.equal(refused.status, 400);
});
