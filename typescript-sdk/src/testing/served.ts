// startSimulator: `tryvox-sim serve` on 127.0.0.1 and a free port, for a test run, with a control client for it. The
// command is `command`, else $TRYVOX_SIM, else `tryvox-sim` on PATH (pip install tryvox-sim). Variables pasted into
// the shell (TVX_*) do not steer it; it is ready once it printed its export lines.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Client } from './generated/client/index.js';
import { createSimulatorClient } from './client.js';

export interface StartOptions {
  /** Flags after `serve --host 127.0.0.1 --port 0`: `--manual-clock`, `--self-check`, `--rate-limit 5/s`, … */
  args?: string[];
  /** The tryvox-sim command (default $TRYVOX_SIM, else `tryvox-sim`). */
  command?: string;
  /** How long it may take to start (default 20 s). */
  timeoutMs?: number;
}

export interface ServedSimulator {
  /** Where both the API and the control plane are: the TVX_BASE_URL it printed. */
  readonly baseUrl: string;
  readonly authId: string;
  readonly token: string;
  readonly callUuid: string;
  /** A control client for it (pass as `client` to this module's functions). */
  readonly client: Client;
  /** What it logged on stderr so far. */
  log(): string;
  /** SIGTERM, resolved once it exited. */
  stop(): Promise<void>;
}

const EXPORTS = ['TVX_BASE_URL', 'TVX_AUTH_ID', 'TVX_API_TOKEN', 'TVX_CALL_UUID'] as const;

function served(child: ChildProcessByStdio<null, Readable, Readable>, found: Record<string, string>, log: () => string): ServedSimulator {
  const value = (name: (typeof EXPORTS)[number]): string => found[name] ?? '';
  const baseUrl = value('TVX_BASE_URL');
  return {
    baseUrl,
    authId: value('TVX_AUTH_ID'),
    token: value('TVX_API_TOKEN'),
    callUuid: value('TVX_CALL_UUID'),
    client: createSimulatorClient({ baseUrl }),
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Serve a simulator; resolves once it is ready (rejects, with the end of its log, when it cannot start). */
export function startSimulator(options: StartOptions = {}): Promise<ServedSimulator> {
  const command = options.command ?? process.env.TRYVOX_SIM ?? 'tryvox-sim';
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TVX_')));
  const child = spawn(command, ['serve', '--host', '127.0.0.1', '--port', '0', ...(options.args ?? [])], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const timeoutMs = options.timeoutMs ?? 20_000;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let printed = '';
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGTERM');
      reject(new Error(`${error.message}\n${stderr.slice(-2000)}`));
    };
    const timer = setTimeout(() => fail(new Error(`${command} did not start within ${timeoutMs} ms`)), timeoutMs);
    child.on('error', fail);
    child.on('exit', (code) => fail(new Error(`${command} exited with ${code} before it was ready`)));
    child.stdout.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
      const found = Object.fromEntries([...printed.matchAll(/^export (TVX_\w+)=(\S+)\n/gm)].map((m) => [m[1], m[2]]));
      if (EXPORTS.every((name) => name in found)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.removeAllListeners('error');
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        resolve(served(child, found as Record<string, string>, () => stderr));
      }
    });
  });
}
