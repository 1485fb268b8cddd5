// Every "webhooks" case of tests/client_behaviour.json: valid payloads parse (as text, bytes and parsed JSON); each
// broken one throws WebhookPayloadError whose pointer names the field. Then the checker's own rules.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebhookPayloadError, parseCallHangup, parseTransferAnswered } from '../src/index.js';
import { violations } from '../src/webhooks.js';
import { BEHAVIOUR, type WebhookCase } from './behaviour.js';
import type { Json } from './simulator.js';

const PARSERS = { callHangup: parseCallHangup, transferAnswered: parseTransferAnswered };
const CASES = new Map(BEHAVIOUR.webhooks.map((entry) => [entry.name, entry]));

/** The JSON pointer's tokens (RFC 6901). */
function tokens(pointer: string): string[] {
  return pointer.split('/').slice(1).map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function container(root: Json, pointer: string): [Record<string, Json> | Json[], string] {
  const path = tokens(pointer);
  const last = path.pop();
  let at: Json = root;
  for (const token of path) at = (Array.isArray(at) ? at[Number(token)] : (at as Record<string, Json>)[token]) ?? null;
  if (last === undefined || at === null || typeof at !== 'object') throw new Error(`no parent for ${pointer}`);
  return [at, last];
}

/** The case's body: its raw text, its payload, or another case's payload with fields set or removed. */
function body(entry: WebhookCase): string | Json {
  if (entry.raw !== undefined) return entry.raw;
  if (entry.payload !== undefined) return entry.payload;
  const base = CASES.get(entry.base ?? '');
  if (base?.payload === undefined) throw new Error(`${entry.name}: no base payload ${entry.base}`);
  const payload = structuredClone(base.payload);
  for (const [pointer, value] of Object.entries(entry.set ?? {})) {
    const [parent, key] = container(payload, pointer);
    if (Array.isArray(parent)) parent[Number(key)] = value;
    else parent[key] = value;
  }
  if (entry.remove !== undefined) {
    const [parent, key] = container(payload, entry.remove);
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  }
  return payload;
}

describe('tests/client_behaviour.json webhooks', () => {
  for (const entry of BEHAVIOUR.webhooks) {
    const parse = PARSERS[entry.webhook];
    const payload = body(entry);
    if (entry.error_pointer === undefined) {
      test(`${entry.name} parses`, () => {
        const text = JSON.stringify(payload);
        assert.deepEqual(parse(text), payload);
        assert.deepEqual(parse(new TextEncoder().encode(text)), payload);
        assert.deepEqual(parse(payload as object), payload);
      });
    } else {
      test(`${entry.name} is refused at ${JSON.stringify(entry.error_pointer)}`, () => {
        const given = typeof payload === 'string' ? payload : JSON.stringify(payload);
        assert.throws(() => parse(given), (error: unknown) => {
          assert.ok(error instanceof WebhookPayloadError, String(error));
          assert.equal(error.pointer, entry.error_pointer);
          assert.equal(error.errors[0]?.pointer, entry.error_pointer);
          assert.ok(error.message.startsWith(`${entry.error_pointer || '/'}: `), error.message);
          return true;
        });
      });
    }
  }

  test('every case was run, the valid and the broken ones of both webhooks', () => {
    const kinds = new Set(BEHAVIOUR.webhooks.map((entry) => `${entry.webhook} ${entry.error_pointer === undefined}`));
    assert.equal(kinds.size, 4);
  });
});

describe('the checker', () => {
  test('bytes that are not UTF-8 are not JSON', () => {
    assert.throws(() => parseCallHangup(new Uint8Array([0x7b, 0xff, 0x7d])), (error: unknown) => error instanceof WebhookPayloadError && error.pointer === '');
  });

  test('dates are checked as RFC 3339: a real day, a real time, an offset', () => {
    const schema = { type: 'string', format: 'date-time' };
    for (const good of ['2026-12-26T10:02:05Z', '2028-02-29T23:59:59.5+01:00', '2026-12-26t10:02:05z']) {
      assert.deepEqual(violations(good, schema), [], good);
    }
    for (const bad of ['2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-12-26T24:00:00Z', '2026-12-26T10:02:05', '2026-12-26 10:02:05Z']) {
      assert.equal(violations(bad, schema).length, 1, bad);
    }
  });

  test('JSON types: true is not 1, 1.0 is an integer, strings are counted in code points', () => {
    assert.equal(violations(true, { enum: [1] }).length, 1);
    assert.deepEqual(violations(125.0, { type: 'integer' }), []);
    assert.equal(violations(1.5, { type: 'integer' }).length, 1);
    assert.deepEqual(violations('😀😀', { type: 'string', maxLength: 2 }), []);
  });

  test('additionalProperties false names the unknown field', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false };
    assert.deepEqual(violations({ a: 'x', b: 1 }, schema), [{ pointer: '/b', message: 'is not a known field' }]);
  });

  test('a keyword or format the checker does not know is refused, not passed unchecked', () => {
    assert.throws(() => violations('x', { type: 'string', contentEncoding: 'base64' }), /keyword 'contentEncoding'/);
    assert.throws(() => violations('x', { type: 'string', format: 'email' }), /format 'email'/);
  });
});
