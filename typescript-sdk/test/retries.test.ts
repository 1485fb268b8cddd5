// Every retry scenario of tests/client_behaviour.json against a served simulator, through a client made by
// createTryvoxClient and through the SDK's default client: the outcome, the error, what the simulator's request
// journal recorded (how many times the action was sent, and what each attempt got) and the waits the client's sleep
// hook saw. Then the parts of the policy the scenarios do not reach.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { type Socket, connect, createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  type Client,
  TryvoxConnectionError,
  type TryvoxClientOptions,
  TryvoxTimeoutError,
  USER_AGENT,
  backoffMs,
  createTryvoxClient,
  retryAfterSeconds,
  sendDtmf,
} from '../src/index.js';
import { client as defaultClient } from '../src/generated/client.gen.js';
import { policyConfig } from '../src/policy.js';
import { connectionError } from '../src/transport.js';
import { BEHAVIOUR, type RetryScenario, errorClass } from './behaviour.js';
import { createAccount, createCall, getCallEvents } from '../src/testing/index.js';
import { type Simulator, startSimulator } from './simulator.js';

let sim: Simulator;
before(async () => {
  sim = await startSimulator();
});
after(() => sim.stop());

/** A loopback port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return reject(new Error('no port'));
      server.close(() => resolve(address.port));
    });
  });
}

interface Arranged {
  client: Client;
  authId: string;
  callUuid: string;
  waits: number[];
}

/** The scenario's simulator state, and a client for it in `form`: one made by createTryvoxClient, or the SDK's default
 * client (which an operation called without `client` uses) set up with the same options. */
async function arrange(scenario: RetryScenario, form: Form): Promise<Arranged> {
  await sim.reset();
  let { authId, callUuid, token } = sim;
  if (scenario.account_rate_limit !== undefined) {
    authId = `limited_${scenario.name.replaceAll('-', '_')}`;
    const client = sim.client;
    token = (await createAccount({ client, body: { auth_id: authId, rate_limit: scenario.account_rate_limit } })).data.token;
    callUuid = (await createCall({ client, body: { auth_id: authId } })).data.call_uuid;
  }
  for (const fault of scenario.faults ?? []) await sim.inject('sendDtmf', fault);
  const waits: number[] = [];
  const options = scenario.client ?? {};
  const settings: TryvoxClientOptions = {
    token,
    baseUrl: scenario.unreachable ? `http://127.0.0.1:${await closedPort()}` : sim.baseUrl,
    throwOnError: options.raise_on_error ?? true,
    ...(options.max_retries !== undefined && { maxRetries: options.max_retries }),
    ...(options.max_retry_after !== undefined && { retryAfterCapMs: options.max_retry_after * 1000 }),
    ...(options.timeout !== undefined && { timeoutMs: options.timeout * 1000 }),
    // The waits move the simulator's clock (its rate-limit window) instead of sleeping.
    sleep: async (ms) => {
      waits.push(ms / 1000);
      await sim.advance(ms / 1000);
    },
  };
  if (form === 'createTryvoxClient') return { client: createTryvoxClient(settings), authId, callUuid, waits };
  defaultClient.setConfig(policyConfig(settings, token));
  return { client: defaultClient, authId, callUuid, waits };
}

function assertWaits(seen: number[], expected: (number | 'backoff')[]): void {
  const { initial, max, jitter } = BEHAVIOUR.defaults.backoff;
  assert.equal(seen.length, expected.length, `waits ${JSON.stringify(seen)}, expected ${JSON.stringify(expected)}`);
  expected.forEach((wait, attempt) => {
    const got = seen[attempt] ?? NaN;
    if (wait === 'backoff') {
      const full = Math.min(initial * 2 ** attempt, max);
      assert.ok(got >= full * (1 - jitter) && got <= full, `wait ${attempt}: ${got} s is not within backoff ${full * (1 - jitter)}–${full} s`);
    } else {
      assert.equal(got, wait, `wait ${attempt}`);
    }
  });
}

type Form = 'createTryvoxClient' | 'the default client';

for (const form of ['createTryvoxClient', 'the default client'] as const) {
  describe(`tests/client_behaviour.json retries, against a served simulator, through ${form}`, () => {
    for (const scenario of BEHAVIOUR.retries) {
      test(`${scenario.name} (${scenario.rule})`, async (t) => {
        const { client, authId, callUuid, waits } = await arrange(scenario, form);
        const path = { auth_id: authId, call_uuid: callUuid };
        // Through the default client, as an application calls it: no `client` at all.
        const send = () =>
          form === 'createTryvoxClient' ? sendDtmf({ client, path, body: { digits: '1' } }) : sendDtmf({ path, body: { digits: '1' } });
        for (let sent = 1; sent < (scenario.sends ?? 1); sent += 1) await send();
        const expect = scenario.expect;
        let outcome: Awaited<ReturnType<typeof send>> | undefined;
        let thrown: unknown;
        try {
          outcome = await send();
        } catch (error) {
          thrown = error;
        }

        if (expect.outcome === 'ok') {
          assert.equal(thrown, undefined);
          assert.equal(outcome?.data?.status, 'sent');
          assert.equal(outcome?.response?.status, 202);
        } else if (expect.outcome === 'problem') {
          assert.equal(thrown, undefined);
          assert.equal(outcome?.data, undefined);
          assert.equal(outcome?.response?.status, expect.status);
          assert.equal(outcome?.error?.status, expect.status);
          assert.equal(outcome?.error?.code, expect.code);
        } else {
          const ErrorClass = errorClass(expect.error ?? 'APIError');
          assert.ok(thrown instanceof ErrorClass, `expected ${ErrorClass.name}, got ${String(thrown)}`);
          assert.equal(thrown.constructor, ErrorClass, `expected exactly ${ErrorClass.name}, got ${thrown.constructor.name}`);
          const fields = thrown as Error & { requestSent?: boolean; retryAfter?: number; status?: number };
          if (expect.request_sent !== undefined) assert.equal(fields.requestSent, expect.request_sent);
          if (expect.retry_after !== undefined) assert.equal(fields.retryAfter, expect.retry_after);
          if (expect.status !== undefined) assert.equal(fields.status, expect.status);
        }
        const journal = await sim.journal('sendDtmf');
        t.diagnostic(`journal ${JSON.stringify(journal.map((entry) => entry.status))}, waits ${JSON.stringify(waits)} s`);
        assert.deepEqual(
          journal.map((entry) => entry.status),
          expect.statuses,
          'what the simulator recorded: one entry per time the action was sent',
        );
        if (expect.carried_out !== undefined) {
          assert.deepEqual(journal.map((entry) => entry.carried_out), expect.carried_out, 'what the simulator did with each');
        }
        if (expect.actions_on_the_call !== undefined) {
          const { events } = (await getCallEvents({ client: sim.client, path: { call_uuid: callUuid } })).data;
          const pressed = events.filter((event) => event.type === 'dtmf.started').length;
          assert.equal(pressed, expect.actions_on_the_call, 'the keys pressed on the call, as the simulator shows them');
        }
        if (form === 'the default client') {
          for (const entry of journal) assert.equal(entry.headers['user-agent'], USER_AGENT, 'the policy, not a bare client');
        }
        assertWaits(waits, expect.waits);
      });
    }
  });
}

describe('the policy beyond the scenarios', () => {
  test('Retry-After: the cases both clients share (tests/client_behaviour.json), seconds or an HTTP date', () => {
    const { now, cases } = BEHAVIOUR.retry_after;
    assert.ok(cases.length >= 20);
    for (const { value, seconds } of cases) {
      const headers = new Headers(value === null ? {} : { 'Retry-After': value });
      assert.equal(retryAfterSeconds(headers, now * 1000), seconds ?? undefined, JSON.stringify(value));
    }
  });

  test('backoff doubles from 0.5 s up to 8 s, less up to a quarter of jitter', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((n) => backoffMs(n, () => 0)), [500, 1000, 2000, 4000, 8000, 8000]);
    assert.deepEqual([0, 1, 4].map((n) => backoffMs(n, () => 1)), [375, 750, 6000]);
  });

  test('a 429 without a usable Retry-After is sent again after the backoff', async () => {
    await sim.reset();
    const waits: number[] = [];
    const answers = [new Response('{}', { status: 429, headers: { 'Retry-After': 'later' } })];
    const mocked = createTryvoxClient({
      token: sim.token,
      baseUrl: sim.baseUrl,
      sleep: (ms) => void waits.push(ms),
      fetch: async (input, init) => answers.shift() ?? fetch(input, init),
    });
    const sent = await sendDtmf({ client: mocked, path: { auth_id: sim.authId, call_uuid: sim.callUuid }, body: { digits: '7' }, throwOnError: true });
    assert.equal(sent.data.digits, '7');
    assert.equal(waits.length, 1);
    assert.ok((waits[0] ?? 0) >= 375 && (waits[0] ?? 0) <= 500, `waited ${waits[0]} ms`);
  });

  test('failures are sent or not by their cause, and anything unknown counts as sent', () => {
    const cause = (code: string, syscall?: string) => Object.assign(new Error(code), { code, syscall });
    const wrapped = (inner: Error) => new TypeError('fetch failed', { cause: inner });
    const notSent = [cause('ECONNREFUSED', 'connect'), cause('ENOTFOUND', 'getaddrinfo'), cause('EAI_AGAIN', 'getaddrinfo'),
      cause('UND_ERR_CONNECT_TIMEOUT'), cause('EHOSTUNREACH', 'connect'), wrapped(cause('ECONNREFUSED', 'connect'))];
    for (const error of notSent) assert.equal(connectionError(error).requestSent, false, String(error.cause ?? error));
    const sent = [cause('ECONNRESET', 'read'), cause('UND_ERR_SOCKET'), cause('EPIPE', 'write'), cause('UND_ERR_HEADERS_TIMEOUT'),
      cause('UND_ERR_BODY_TIMEOUT'), wrapped(cause('ECONNRESET', 'read')), new Error('something new'), new DOMException('t', 'TimeoutError')];
    for (const error of sent) assert.equal(connectionError(error).requestSent, true, String(error));
    assert.equal(connectionError(cause('UND_ERR_CONNECT_TIMEOUT')).name, 'TryvoxTimeoutError');
    assert.equal(connectionError(cause('UND_ERR_HEADERS_TIMEOUT')).name, 'TryvoxTimeoutError');
    assert.equal(connectionError(cause('ECONNRESET', 'read')).name, 'TryvoxConnectionError');
  });

  test('a connection error is thrown even without throwOnError, saying nothing was sent', async () => {
    const client = createTryvoxClient({ token: sim.token, baseUrl: `http://127.0.0.1:${await closedPort()}`, maxRetries: 0 });
    await assert.rejects(
      sendDtmf({ client, path: { auth_id: sim.authId, call_uuid: sim.callUuid }, body: { digits: '1' } }),
      (error: unknown) => error instanceof TryvoxConnectionError && !error.requestSent && /ECONNREFUSED.*nothing was sent/.test(error.message),
    );
  });

  test('a connection not made within connectTimeoutMs is a timeout with nothing sent, and is retried', async () => {
    // A listener that never accepts, its backlog filled: the next connection attempt hangs (all on loopback).
    const listener = spawn('python3', ['-c', 'import socket, time\ns = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)\n'
      + 'print(s.getsockname()[1], flush=True); time.sleep(20)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const fillers: Socket[] = [];
    try {
      const port = await new Promise<number>((resolve) => listener.stdout.once('data', (line: Buffer) => resolve(Number(String(line)))));
      // The backlog is full once a filler is connected (and never accepted); the next ones are left waiting.
      const connected = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no filler connected within 10 s')), 10_000);
        for (let n = 0; n < 3; n += 1) {
          fillers.push(connect(port, '127.0.0.1', () => { clearTimeout(timer); resolve(); }).on('error', () => undefined));
        }
      });
      await connected;
      const waits: number[] = [];
      const client = createTryvoxClient({
        token: sim.token, baseUrl: `http://127.0.0.1:${port}`, connectTimeoutMs: 200, maxRetries: 1, sleep: (ms) => void waits.push(ms),
      });
      await assert.rejects(
        sendDtmf({ client, path: { auth_id: sim.authId, call_uuid: sim.callUuid }, body: { digits: '1' } }),
        (error: unknown) => error instanceof TryvoxTimeoutError && !error.requestSent && /UND_ERR_CONNECT_TIMEOUT/.test(error.message),
      );
      assert.equal(waits.length, 1, 'connecting again once after the backoff');
    } finally {
      for (const socket of fillers) socket.destroy();
      listener.kill();
    }
  });

  test("the caller's own abort is passed through, and nothing is retried after it", async () => {
    await sim.reset();
    await sim.inject('sendDtmf', { delay_ms: 60_000 }); // answered long after the caller gives up
    const client = createTryvoxClient({ token: sim.token, baseUrl: sim.baseUrl, throwOnError: true });
    const controller = new AbortController();
    const rejected = assert.rejects(
      sendDtmf({ client, path: { auth_id: sim.authId, call_uuid: sim.callUuid }, body: { digits: '1' }, signal: controller.signal }),
      /the caller gave up/,
    );
    await sim.journalHolding('sendDtmf', 1); // the request reached the simulator: now the caller gives up
    controller.abort(new Error('the caller gave up'));
    await rejected;
    assert.equal((await sim.journal('sendDtmf')).length, 1);
  });
});
