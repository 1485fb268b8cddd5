// A served simulator for the tests, through @tryvox/call-actions/testing (src/testing/): `startSimulator` runs
// `tryvox-sim serve --port 0` on loopback with a manual clock (the client's waits move it) and self-check on, and the
// control plane is driven with its generated, typed functions. Each test file starts its own.
import {
  type FaultDefinition,
  type JournalEntry,
  type ServedSimulator,
  type SimulatorClient,
  advanceClock,
  createFault,
  listRequests,
  resetWorld,
  startSimulator as serve,
} from '../src/testing/index.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type { JournalEntry };
export type Operation = NonNullable<FaultDefinition['operation']>;
export type FaultFields = Omit<FaultDefinition, 'operation'>;

export class Simulator {
  readonly baseUrl: string;
  readonly authId: string;
  readonly token: string;
  readonly callUuid: string;
  /** The control client of this simulator: pass it as `client` to the functions of @tryvox/call-actions/testing. */
  readonly client: SimulatorClient;
  readonly #served: ServedSimulator;

  constructor(served: ServedSimulator) {
    this.#served = served;
    ({ baseUrl: this.baseUrl, authId: this.authId, token: this.token, callUuid: this.callUuid, client: this.client } = served);
  }

  async reset(): Promise<void> {
    await resetWorld({ client: this.client });
  }

  async inject(operation: Operation, fault: FaultFields): Promise<void> {
    await createFault({ client: this.client, body: { operation, ...fault } });
  }

  async advance(seconds: number): Promise<void> {
    await advanceClock({ client: this.client, body: { seconds } });
  }

  async journal(operation: Operation): Promise<JournalEntry[]> {
    if (operation === '*') throw new Error('the journal is read per operation');
    return (await listRequests({ client: this.client, query: { operation } })).data.requests;
  }

  /** The journal of `operation` once it holds `count` requests or more (they reached the simulator), polled for at
   * most `withinMs`: a test waits for the request itself, not for a time it should have taken. */
  async journalHolding(operation: Operation, count: number, withinMs = 10_000): Promise<JournalEntry[]> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const entries = await this.journal(operation);
      if (entries.length >= count) return entries;
      if (Date.now() > deadline) throw new Error(`${entries.length} ${operation} requests in the journal after ${withinMs} ms, expected ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  stop(): Promise<void> {
    return this.#served.stop();
  }
}

/** `tryvox-sim serve` ($TRYVOX_SIM, else the one on PATH) on 127.0.0.1, a free port, with a manual clock and self-check. */
export async function startSimulator(...args: string[]): Promise<Simulator> {
  return new Simulator(await serve({ args: ['--manual-clock', '--self-check', ...args] }));
}
