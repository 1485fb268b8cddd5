// A served simulator for the tests: `tryvox-sim serve --port 0` on loopback, with a manual clock (the client's waits
// move it) and self-check on, and its control plane (/_sim). Each test file starts its own.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface JournalEntry {
  operation: string | null;
  status: number | null;
  headers: Record<string, string>;
  body: Json;
}

export class Simulator {
  readonly baseUrl: string;
  readonly authId: string;
  readonly token: string;
  readonly callUuid: string;
  readonly #process: ChildProcessByStdio<null, Readable, Readable>;

  constructor(process: ChildProcessByStdio<null, Readable, Readable>, exports: Record<string, string>) {
    this.#process = process;
    this.baseUrl = need(exports, 'TVX_BASE_URL');
    this.authId = need(exports, 'TVX_AUTH_ID');
    this.token = need(exports, 'TVX_API_TOKEN');
    this.callUuid = need(exports, 'TVX_CALL_UUID');
  }

  /** A control-plane request (/_sim/…); refusals fail the test. */
  async control(method: string, path: string, body?: Json): Promise<unknown> {
    const init: RequestInit = { method, headers: { 'content-type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(`${this.baseUrl}/_sim/${path}`, init);
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} /_sim/${path}: ${response.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : null;
  }

  reset(): Promise<unknown> {
    return this.control('POST', 'reset');
  }

  inject(operation: string, fault: Record<string, Json>): Promise<unknown> {
    return this.control('POST', 'faults', { operation, ...fault });
  }

  advance(seconds: number): Promise<unknown> {
    return this.control('POST', 'clock/advance', { seconds });
  }

  async journal(operation: string): Promise<JournalEntry[]> {
    const found = (await this.control('GET', `requests?operation=${operation}`)) as { requests: JournalEntry[] };
    return found.requests;
  }

  /** The journal of `operation` once it holds `count` requests or more (they reached the simulator), polled for at
   * most `withinMs`: a test waits for the request itself, not for a time it should have taken. */
  async journalHolding(operation: string, count: number, withinMs = 10_000): Promise<JournalEntry[]> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const entries = await this.journal(operation);
      if (entries.length >= count) return entries;
      if (Date.now() > deadline) throw new Error(`${entries.length} ${operation} requests in the journal after ${withinMs} ms, expected ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#process.exitCode !== null) return resolve();
      this.#process.once('exit', () => resolve());
      this.#process.kill('SIGTERM');
    });
  }
}

function need(exports: Record<string, string>, name: string): string {
  const value = exports[name];
  if (value === undefined) throw new Error(`tryvox-sim printed no ${name}`);
  return value;
}

/** `tryvox-sim serve` ($TRYVOX_SIM, else the one on PATH) on 127.0.0.1, a free port; resolves once it printed its
 * export lines. Variables pasted into the shell (TVX_*) do not steer it. */
export function startSimulator(...args: string[]): Promise<Simulator> {
  const command = process.env.TRYVOX_SIM ?? 'tryvox-sim';
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TVX_')));
  const child = spawn(command, ['serve', '--host', '127.0.0.1', '--port', '0', '--manual-clock', '--self-check', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let printed = '';
    let log = '';
    const timer = setTimeout(() => fail(new Error('tryvox-sim did not start within 20 s')), 20_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGTERM');
      reject(new Error(`${error.message}\n${log.slice(-2000)}`));
    };
    child.on('error', fail);
    child.on('exit', (code) => fail(new Error(`tryvox-sim exited with ${code} before it was ready`)));
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
      const exports = Object.fromEntries([...printed.matchAll(/^export (TVX_\w+)=(\S+)\n/gm)].map((m) => [m[1], m[2]]));
      if (['TVX_BASE_URL', 'TVX_AUTH_ID', 'TVX_API_TOKEN', 'TVX_CALL_UUID'].every((name) => name in exports)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        resolve(new Simulator(child, exports as Record<string, string>));
      }
    });
  });
}
