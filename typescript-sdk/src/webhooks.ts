// Parse the webhooks the API sends: the call's hangup and the transfer's answer. A payload is checked against the
// spec's schema for it (generated/webhook-schemas.gen.ts, written from the spec when the SDK is generated) before it
// is returned as its type: the generated types check nothing at run time. The checker knows the JSON Schema keywords
// those schemas use and refuses any other, so a spec change it cannot honour fails the SDK's tests instead of
// passing unchecked. The Python client's webhooks.py is the same checker.
import type { CallDetails, TransferAnsweredEvent } from './generated/types.gen.js';
import { SCHEMAS, type Schema, WEBHOOKS } from './generated/webhook-schemas.gen.js';

/** One place where a payload breaks the spec: a JSON pointer ("" for the whole body) and what is wrong there. */
export interface PayloadViolation {
  pointer: string;
  message: string;
}

/** The payload breaks the spec. `pointer` is the JSON pointer of the first offending field ("" for the whole
 * body), `errors` every violation found. */
export class WebhookPayloadError extends Error {
  readonly errors: PayloadViolation[];
  readonly pointer: string;

  constructor(errors: PayloadViolation[]) {
    const [first] = errors;
    if (first === undefined) throw new RangeError('a WebhookPayloadError needs at least one violation');
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    super(`${first.pointer || '/'}: ${first.message}${more}`);
    this.name = 'WebhookPayloadError';
    this.errors = errors;
    this.pointer = first.pointer;
  }
}

/** A webhook's body as received: the raw bytes or text, or JSON already parsed. */
export type WebhookBody = string | Uint8Array | object;

/** The `callHangup` webhook (sent to the call's hangup URL when it ends): the call's details. */
export function parseCallHangup(body: WebhookBody): CallDetails {
  return checked('callHangup', body) as CallDetails;
}

/** The `transferAnswered` webhook (sent to the transfer's `answer_url` when the destination answers). */
export function parseTransferAnswered(body: WebhookBody): TransferAnsweredEvent {
  return checked('transferAnswered', body) as TransferAnsweredEvent;
}

function checked(webhook: keyof typeof WEBHOOKS, body: WebhookBody): unknown {
  let payload: unknown = body;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    try {
      const text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
      payload = JSON.parse(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new WebhookPayloadError([{ pointer: '', message: `not JSON: ${reason}` }]);
    }
  }
  const errors = violations(payload, { $ref: `#/components/schemas/${WEBHOOKS[webhook]}` });
  if (errors.length > 0) throw new WebhookPayloadError(errors);
  return payload;
}

// Keywords that only describe (they never make a payload invalid).
const ANNOTATIONS = new Set(['description', 'title', 'examples', 'example', 'default', 'deprecated']);
const FORMATS: Record<string, RegExp> = {
  uuid: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  uri: /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/, // RFC 3986: a scheme, then no whitespace
};
const IGNORED_FORMATS = new Set(['int32', 'int64']); // OpenAPI's sizes: the schemas' minimum/maximum bound them
const DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|([+-])(\d\d):(\d\d))$/;

type Check = (value: unknown, expected: unknown, schema: Schema, pointer: string) => PayloadViolation[];

/** Each place where `value` breaks `schema` (the subset of JSON Schema 2020-12 the spec's webhook schemas use). */
export function violations(value: unknown, schema: Schema, pointer = ''): PayloadViolation[] {
  const found: PayloadViolation[] = [];
  for (const [keyword, expected] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword)) continue;
    const check = KEYWORDS[keyword];
    if (check === undefined) throw new Error(`the webhook checker does not know the JSON Schema keyword '${keyword}'`);
    found.push(...check(value, expected, schema, pointer));
  }
  return found;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value; // boolean, string, object (undefined and functions never come from JSON)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeOf(value) === 'object';
}

/** JSON equality: true is not 1, and arrays and objects compare by content. */
function same(a: unknown, b: unknown): boolean {
  if (typeOf(a) !== typeOf(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => same(item, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && same(a[key], b[key]));
  }
  return a === b;
}

function schemaOf(value: unknown): Schema {
  if (!isObject(value)) throw new Error(`expected a schema, got ${JSON.stringify(value)}`);
  return value;
}

function listOf(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error(`expected a list in a schema, got ${JSON.stringify(value)}`);
  return value;
}

function escape(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}

const patterns = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let compiled = patterns.get(pattern);
  if (compiled === undefined) {
    compiled = new RegExp(pattern, 'u');
    patterns.set(pattern, compiled);
  }
  return compiled;
}

/** RFC 3339: a real date and time of day, and an offset or Z (JavaScript's Date.parse takes 30 February). */
function isDateTime(value: string): boolean {
  const parts = DATE_TIME.exec(value);
  if (parts === null) return false;
  const [year, month, day, hour, minute, second] = parts.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetOk = parts[9] === undefined || (Number(parts[10]) < 24 && Number(parts[11]) < 60);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour < 24 && minute < 60 && second < 60 && offsetOk;
}

function isFormat(value: string, name: string): boolean {
  if (IGNORED_FORMATS.has(name)) return true;
  if (name === 'date-time') return isDateTime(value);
  const format = FORMATS[name];
  if (format === undefined) throw new Error(`the webhook checker does not know the format '${name}'`);
  return format.test(value);
}

function stringRule(test: (value: string, expected: unknown) => boolean, describe: (expected: unknown) => string): Check {
  return (value, expected, _schema, pointer) =>
    typeof value === 'string' && !test(value, expected) ? [{ pointer, message: describe(expected) }] : [];
}

function numberRule(test: (value: number, expected: number) => boolean, describe: string): Check {
  return (value, expected, _schema, pointer) =>
    typeof value === 'number' && !test(value, Number(expected)) ? [{ pointer, message: `must be ${expected} ${describe}` }] : [];
}

function itemsRule(test: (length: number, expected: number) => boolean, describe: string): Check {
  return (value, expected, _schema, pointer) =>
    Array.isArray(value) && !test(value.length, Number(expected)) ? [{ pointer, message: `must have ${describe} ${expected} items` }] : [];
}

const characters = (value: string) => [...value].length; // code points, as JSON Schema counts them

const KEYWORDS: Record<string, Check> = {
  type: (value, expected, _schema, pointer) => {
    const allowed = listOf(Array.isArray(expected) ? expected : [expected]);
    const actual = typeOf(value);
    const ok = allowed.includes(actual) || (actual === 'integer' && allowed.includes('number'));
    return ok ? [] : [{ pointer, message: `must be ${allowed.join(' or ')}, not ${actual}` }];
  },
  enum: (value, expected, _schema, pointer) => {
    const options = listOf(expected);
    const ok = options.some((option) => same(value, option));
    return ok ? [] : [{ pointer, message: `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}` }];
  },
  const: (value, expected, _schema, pointer) =>
    same(value, expected) ? [] : [{ pointer, message: `must be ${JSON.stringify(expected)}` }],
  pattern: stringRule((value, pattern) => regex(String(pattern)).test(value), (pattern) => `must match ${pattern}`),
  minLength: stringRule((value, n) => characters(value) >= Number(n), (n) => `must be at least ${n} characters`),
  maxLength: stringRule((value, n) => characters(value) <= Number(n), (n) => `must be at most ${n} characters`),
  format: stringRule((value, name) => isFormat(value, String(name)), (name) => `must be a valid ${name}`),
  minimum: numberRule((value, n) => value >= n, 'or more'),
  maximum: numberRule((value, n) => value <= n, 'or less'),
  required: (value, expected, _schema, pointer) =>
    isObject(value)
      ? listOf(expected)
          .map(String)
          .filter((name) => !Object.hasOwn(value, name))
          .map((name) => ({ pointer: `${pointer}/${escape(name)}`, message: 'is required' }))
      : [],
  properties: (value, expected, _schema, pointer) => {
    if (!isObject(value)) return [];
    return Object.entries(schemaOf(expected))
      .filter(([name]) => Object.hasOwn(value, name))
      .flatMap(([name, subschema]) => violations(value[name], schemaOf(subschema), `${pointer}/${escape(name)}`));
  },
  additionalProperties: (value, expected, schema, pointer) => {
    if (!isObject(value)) return [];
    const known = isObject(schema.properties) ? schema.properties : {};
    return Object.keys(value)
      .filter((name) => !Object.hasOwn(known, name))
      .flatMap((name) => {
        const at = `${pointer}/${escape(name)}`;
        if (expected === false) return [{ pointer: at, message: 'is not a known field' }];
        return isObject(expected) ? violations(value[name], expected, at) : [];
      });
  },
  items: (value, expected, _schema, pointer) =>
    Array.isArray(value) ? value.flatMap((item, index) => violations(item, schemaOf(expected), `${pointer}/${index}`)) : [],
  minItems: itemsRule((length, n) => length >= n, 'at least'),
  maxItems: itemsRule((length, n) => length <= n, 'at most'),
  oneOf: (value, expected, _schema, pointer) => {
    const matching = listOf(expected).filter((option) => violations(value, schemaOf(option), pointer).length === 0).length;
    if (matching === 1) return [];
    return [{ pointer, message: matching === 0 ? 'matches none of the allowed forms' : 'matches more than one allowed form' }];
  },
  $ref: (value, expected, _schema, pointer) => {
    const name = String(expected).replace(/^#\/components\/schemas\//, '');
    const target = SCHEMAS[name];
    if (target === undefined) throw new Error(`the webhook schemas have no '${name}'`);
    return violations(value, target, pointer);
  },
};
