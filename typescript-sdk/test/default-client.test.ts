// The SDK's settings from the environment and what it logs: the default client (an operation called without
// `client`) and createTryvoxClient() read TVX_API_TOKEN, TVX_BASE_URL and TVX_LOG; a missing token throws naming the
// variable; a `logger` gets a line per attempt and per retry decision, the bodies at debug, never the token. The
// environment is read when the package is loaded, so those runs are child processes importing the built package.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { promisify } from 'node:util';
import { type Logger, createTryvoxClient, sendDtmf } from '../src/index.js';
import { SDK_DIR } from './paths.js';
import { type Simulator, startSimulator } from './simulator.js';

const run = promisify(execFile);
let sim: Simulator;
before(async () => {
  sim = await startSimulator();
});
after(() => sim.stop());
beforeEach(() => sim.reset());

/** Runs `code` (an ES module importing the built package as `sdk`) with only these variables; its stdout and stderr. */
async function withEnvironment(code: string, env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  const program = `const sdk = await import(${JSON.stringify(join(SDK_DIR, 'lib', 'index.js'))});\n${code}`;
  return run(process.execPath, ['--input-type=module', '-e', program], { env: { PATH: process.env.PATH ?? '', ...env } });
}

const SEND = `
const path = { auth_id: process.env.AUTH_ID, call_uuid: process.env.CALL_UUID };
for (const send of [() => sdk.sendDtmf({ path, body: { digits: '5' }, throwOnError: true }),
                    () => sdk.sendDtmf({ client: sdk.createTryvoxClient(), path, body: { digits: '6' }, throwOnError: true })]) {
  try { console.log((await send()).data.digits); } catch (error) { console.log(error.name, error.message); }
}`;

test('the default client and createTryvoxClient() take the token and the base URL from the environment', async () => {
  const env = { TVX_API_TOKEN: sim.token, TVX_BASE_URL: sim.baseUrl, AUTH_ID: sim.authId, CALL_UUID: sim.callUuid };
  const { stdout, stderr } = await withEnvironment(SEND, env);
  assert.deepEqual(stdout.trim().split('\n'), ['5', '6']);
  assert.equal(stderr, '', 'no TVX_LOG: no log lines');
  const journal = await sim.journal('sendDtmf');
  assert.deepEqual(journal.map((entry) => [entry.status, entry.headers['user-agent']?.startsWith('tryvox-call-actions/')]), [[202, true], [202, true]]);
});

test('a missing token throws naming TVX_API_TOKEN: at the call for the default client, at creation for createTryvoxClient()', async () => {
  const { stdout } = await withEnvironment(SEND, { TVX_BASE_URL: sim.baseUrl, AUTH_ID: sim.authId, CALL_UUID: sim.callUuid });
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  for (const line of lines) assert.match(line, /^MissingSettingError no API token: pass token or set TVX_API_TOKEN /);
  assert.deepEqual(await sim.journal('sendDtmf'), [], 'nothing was sent');
});

test('TVX_LOG=info writes a line per attempt to stderr; debug adds the bodies; neither the token', async () => {
  const env = { TVX_API_TOKEN: sim.token, TVX_BASE_URL: sim.baseUrl, AUTH_ID: sim.authId, CALL_UUID: sim.callUuid };
  for (const level of ['info', 'debug']) {
    const { stderr } = await withEnvironment(SEND, { ...env, TVX_LOG: level });
    const lines = stderr.trim().split('\n');
    assert.equal(lines.filter((line) => / INFO\] POST \/v1\/voice\/accounts\/\S+\/dtmf: 202 in \d+ ms \(attempt 1\)$/.test(line)).length, 2, stderr);
    assert.equal(lines.some((line) => line.includes('DEBUG] POST') && line.includes('sent {"digits":"5"}')), level === 'debug', stderr);
    assert.ok(!stderr.includes(sim.token));
  }
});

test('the log of a rate-limited call: request, wait, retry, success, and no token', async () => {
  await sim.inject('sendDtmf', { status: 429 });
  const lines: { level: string; message: string }[] = [];
  const logger: Logger = {
    info: (message) => lines.push({ level: 'info', message }),
    debug: (message) => lines.push({ level: 'debug', message }),
  };
  const client = createTryvoxClient({ token: sim.token, baseUrl: sim.baseUrl, logger, sleep: (ms) => sim.advance(ms / 1000).then(() => undefined) });
  const path = { auth_id: sim.authId, call_uuid: sim.callUuid };
  const sent = await sendDtmf({ client, path, body: { digits: '42#' }, throwOnError: true });
  assert.equal(sent.data.digits, '42#');
  const info = lines.filter((line) => line.level === 'info').map((line) => line.message);
  const at = `POST /v1/voice/accounts/${sim.authId}/calls/${sim.callUuid}/dtmf`;
  assert.equal(info.length, 3, info.join('\n'));
  assert.match(info[0] ?? '', new RegExp(`^${at}: 429 in \\d+ ms \\(attempt 1\\)$`));
  assert.equal(info[1], 'retrying in 1 s (retry 1 of 2): 429 with Retry-After 1 s');
  assert.match(info[2] ?? '', new RegExp(`^${at}: 202 in \\d+ ms \\(attempt 2\\)$`));
  const debug = lines.filter((line) => line.level === 'debug').map((line) => line.message);
  assert.equal(debug[0], `${at}: sent {"digits":"42#"}`);
  assert.ok(debug.some((line) => line.includes('rate_limited')));
  assert.ok(!info.some((line) => line.includes('42#')), 'bodies only at debug');
  assert.ok(!lines.some((line) => line.message.includes(sim.token)));
});
