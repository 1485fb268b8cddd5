// The six operations against a served simulator: what they send and what they return; every error status the spec
// documents, thrown as its class with throwOnError and returned as the problem without it.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  type Client,
  ConflictError,
  STATUS_ERRORS,
  TryvoxApiError,
  USER_AGENT,
  UnprocessableEntityError,
  VERSION,
  createTryvoxClient,
  playAudio,
  sendDtmf,
  speakText,
  startRecording,
  stopRecording,
  transferCall,
} from '../src/index.js';
import { getSpecJson } from '../src/testing/index.js';
import { BEHAVIOUR } from './behaviour.js';
import { type Simulator, startSimulator } from './simulator.js';

let sim: Simulator;
let client: Client;
let path: { auth_id: string; call_uuid: string };
before(async () => {
  sim = await startSimulator();
  client = createTryvoxClient({ token: sim.token, baseUrl: sim.baseUrl });
  path = { auth_id: sim.authId, call_uuid: sim.callUuid };
});
after(() => sim.stop());
beforeEach(() => sim.reset());

// One call of each operation, as an application writes it (throwOnError per call types `data` as always there).
const CALLS = {
  transferCall: (client: Client) => transferCall({ client, path, body: { to: '+15005550001', caller_id: '+14155551234' }, throwOnError: true }),
  startRecording: (client: Client) => startRecording({ client, path, body: { format: 'wav' }, throwOnError: true }),
  stopRecording: (client: Client) => stopRecording({ client, path, throwOnError: true }),
  playAudio: (client: Client) => playAudio({ client, path, body: { url: 'https://cdn.example.com/hold.mp3', loop: 2 }, throwOnError: true }),
  speakText: (client: Client) => speakText({ client, path, body: { text: 'Please hold.' }, throwOnError: true }),
  sendDtmf: (client: Client) => sendDtmf({ client, path, body: { digits: '1234*#' }, throwOnError: true }),
};

describe('the six operations', () => {
  test('each sends its path, bearer token, User-Agent and body, and returns the typed answer', async () => {
    const started = await CALLS.startRecording(client);
    assert.equal(started.response.status, 202);
    assert.equal(started.data.status, 'recording');
    assert.equal(started.data.format, 'wav');
    const played = await CALLS.playAudio(client);
    assert.deepEqual([played.data.status, played.data.url], ['playing', 'https://cdn.example.com/hold.mp3']);
    const spoken = await CALLS.speakText(client);
    assert.deepEqual([spoken.data.status, spoken.data.text], ['speaking', 'Please hold.']);
    const sent = await CALLS.sendDtmf(client);
    assert.deepEqual([sent.data.status, sent.data.digits], ['sent', '1234*#']);
    await sim.advance(125);
    const stopped = await CALLS.stopRecording(client);
    assert.equal(stopped.response.status, 200);
    assert.equal(stopped.data.recording_uuid, started.data.recording_uuid);
    assert.equal(stopped.data.duration, 125);
    assert.match(stopped.data.url, /^https:\/\/.+\.wav$/);
    const transferred = await CALLS.transferCall(client);
    assert.deepEqual([transferred.data.status, transferred.data.to], ['transferring', '+15005550001']);

    const journal = await Promise.all((Object.keys(CALLS) as (keyof typeof CALLS)[]).map((operation) => sim.journal(operation)));
    const entries = journal.flat();
    assert.equal(entries.length, 6);
    for (const entry of entries) {
      assert.equal(entry.status, entry.operation === 'stopRecording' ? 200 : 202);
      assert.equal(entry.headers['user-agent'], USER_AGENT);
    }
    assert.match(USER_AGENT, new RegExp(`^tryvox-call-actions/${VERSION.replaceAll('.', '\\.')} node/\\d+\\.\\d+$`));
    const bodies = Object.fromEntries(entries.map((entry) => [entry.operation, entry.body]));
    assert.deepEqual(bodies.sendDtmf, { digits: '1234*#' });
    assert.deepEqual(bodies.playAudio, { url: 'https://cdn.example.com/hold.mp3', loop: 2 });
    assert.equal(bodies.stopRecording, null);
  });

  test('fields that have a default may be left out, and startRecording may send no body at all', async () => {
    const started = await startRecording({ client, path, throwOnError: true });
    assert.equal(started.data.format, 'mp3'); // the spec's default, applied by the API
    const [entry] = await sim.journal('startRecording');
    assert.equal(entry?.body, null);
    assert.equal(entry?.headers['content-type'], undefined);
  });

  test('the bearer token is what authenticates: a wrong one is a 401', async () => {
    const stranger = createTryvoxClient({ token: 'tvx_sk_test_not_a_known_token_000', baseUrl: sim.baseUrl });
    const answer = await sendDtmf({ client: stranger, path, body: { digits: '1' } });
    assert.equal(answer.error?.status, 401);
    assert.equal(answer.error?.code, 'unauthorized');
  });
});

describe('error answers', () => {
  test('without throwOnError the call resolves to { error: problem } and no data', async () => {
    await startRecording({ client, path, throwOnError: true });
    const again = await startRecording({ client, path });
    assert.equal(again.data, undefined);
    assert.equal(again.response?.status, 409);
    assert.equal(again.error?.code, 'recording_already_running');
  });

  test('with throwOnError a state conflict throws ConflictError with the problem', async () => {
    await assert.rejects(CALLS.stopRecording(client), (error: unknown) => {
      assert.ok(error instanceof ConflictError && error instanceof TryvoxApiError);
      assert.equal(error.status, 409);
      assert.equal(error.code, 'no_active_recording');
      assert.equal(error.problem?.status, 409);
      assert.match(error.message, /^409 no_active_recording /);
      return true;
    });
  });

  test('a validation problem lists each offending field', async () => {
    const refused = sendDtmf({ client, path, body: { digits: '12A4' }, throwOnError: true });
    await assert.rejects(refused, (error: unknown) => {
      assert.ok(error instanceof UnprocessableEntityError);
      assert.equal(error.code, 'validation_failed');
      assert.deepEqual(error.errors.map((field) => field.pointer), ['/digits']);
      return true;
    });
  });

  test('throwOnError set on the client applies to every call', async () => {
    const throwing = createTryvoxClient({ token: sim.token, baseUrl: sim.baseUrl, throwOnError: true });
    await assert.rejects(stopRecording({ client: throwing, path }), ConflictError);
  });

  test('every error status the spec documents throws its class, on every operation', async () => {
    const spec = (await getSpecJson({ client: sim.client })).data as {
      paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, unknown> }>>;
    };
    const once = createTryvoxClient({ token: sim.token, baseUrl: sim.baseUrl, maxRetries: 0 }); // a 429 is not waited out
    const checked = new Set<string>();
    const documented = Object.values(spec.paths).flatMap((item) =>
      Object.values(item).flatMap((op) => (op.operationId === undefined ? [] : [op.operationId])),
    ); // a path item's `parameters` is no operation
    // An operation the spec adds without a call here fails this test rather than going untested.
    assert.deepEqual([...documented].sort(), Object.keys(CALLS).sort(), 'every operation of the spec has its call in CALLS');
    for (const item of Object.values(spec.paths)) {
      for (const operation of Object.values(item)) {
        if (operation.operationId === undefined) continue; // the path item's parameters
        const call = CALLS[operation.operationId as keyof typeof CALLS];
        assert.ok(call !== undefined, `${operation.operationId} has its call in CALLS`);
        const statuses = Object.keys(operation.responses ?? {}).filter((status) => status >= '400');
        assert.ok(statuses.length > 0, `${operation.operationId} documents its errors`);
        for (const status of statuses.map(Number)) {
          await sim.inject(operation.operationId as keyof typeof CALLS, { status });
          const ErrorClass = STATUS_ERRORS[status as keyof typeof STATUS_ERRORS];
          await assert.rejects(call(once), (error: unknown) => {
            assert.ok(error instanceof ErrorClass, `${operation.operationId} ${status}: ${String(error)}`);
            assert.equal(error.status, status);
            assert.equal(error.problem?.status, status);
            assert.ok(error.code, `${operation.operationId} ${status} has a problem code`);
            return true;
          });
          checked.add(`${operation.operationId} ${status}`);
        }
      }
    }
    assert.equal(new Set([...checked].map((key) => key.split(' ')[0])).size, Object.keys(CALLS).length);
    // Every status the shared list names is documented somewhere, and the 400-429 of the POSTs all are.
    assert.deepEqual(new Set([...checked].map((key) => key.split(' ')[1])), new Set(Object.keys(BEHAVIOUR.status_errors)));
    assert.ok(checked.size >= 5 * 9 + 5, `checked ${checked.size} operation and status pairs`);
  });
});
