// What the client says it does: the same lines as the Python client's (its logger tryvox_call_actions_client). To the
// `logger` option: at info one line per attempt (method, path, status or failure, milliseconds, attempt) and one per
// retry decision (why, how long it waits); at debug also each body sent and received. Never a header: the token is
// in one. Without a logger, TVX_LOG=info or TVX_LOG=debug writes them to stderr.

/** Where the client's lines go: `console` fits, as do pino's and winston's loggers. */
export interface Logger {
  info(message: string): void;
  debug(message: string): void;
}

const BODY_LIMIT = 2000; // characters of a body shown at debug; the API's are far smaller

/** The logger TVX_LOG asks for (debug or info), writing to stderr; undefined when it asks for none. */
export function loggerFromEnvironment(): Logger | undefined {
  const level = process.env.TVX_LOG?.trim().toLowerCase();
  if (level !== 'info' && level !== 'debug') return undefined;
  const write = (name: string) => (message: string) =>
    void process.stderr.write(`[${new Date().toISOString()} @tryvox/call-actions ${name}] ${message}\n`);
  return { info: write('INFO'), debug: level === 'debug' ? write('DEBUG') : () => undefined };
}

/** The lines of one request's attempts, for `logger` (none when it is undefined). */
export class RequestLog {
  readonly #logger: Logger | undefined;
  readonly #what: string;

  constructor(logger: Logger | undefined, request: Request) {
    this.#logger = logger;
    this.#what = `${request.method} ${new URL(request.url).pathname}`;
  }

  /** `POST /v1/…/dtmf: 202 in 12 ms (attempt 1)`; `outcome` is the status or what went wrong. */
  attempt(outcome: string, startedMs: number, number: number): void {
    this.#logger?.info(`${this.#what}: ${outcome} in ${Math.round(performance.now() - startedMs)} ms (attempt ${number})`);
  }

  /** `retrying in 1 s (retry 1 of 2): 429 with Retry-After 1 s`, or `not retrying: …`. */
  decision(waitMs: number | undefined, why: string, retriesDone: number, maxRetries: number): void {
    if (waitMs === undefined) this.#logger?.info(`not retrying: ${why}`);
    else this.#logger?.info(`retrying in ${Number((waitMs / 1000).toPrecision(3))} s (retry ${retriesDone + 1} of ${maxRetries}): ${why}`);
  }

  /** At debug, a body sent (`direction` "sent") or received ("received"). */
  body(direction: string, content: ArrayBuffer | undefined): void {
    if (this.#logger === undefined || content === undefined || content.byteLength === 0) return;
    const text = new TextDecoder().decode(content);
    const shown = text.length <= BODY_LIMIT ? text : `${text.slice(0, BODY_LIMIT)}… (${text.length} characters)`;
    this.#logger.debug(`${this.#what}: ${direction} ${shown}`);
  }
}
