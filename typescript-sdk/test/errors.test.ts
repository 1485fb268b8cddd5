// The error classes: one per status of tests/client_behaviour.json "status_errors", with the Python client's names,
// under TryvoxApiError; the network errors under TryvoxConnectionError; all under TryvoxError.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as sdk from '../src/index.js';
import { statusError } from '../src/status-error.js';
import { BEHAVIOUR, errorClass } from './behaviour.js';

const problem = (status: number) => ({ type: 'https://docs.tryvox.io/errors/x', title: 'T', status, code: 'x_code', detail: 'D' });

test('status_errors: each status has its class, with the same name as the Python client', () => {
  const statuses = Object.keys(sdk.STATUS_ERRORS).sort();
  assert.deepEqual(statuses, Object.keys(BEHAVIOUR.status_errors).sort());
  for (const [status, name] of Object.entries(BEHAVIOUR.status_errors)) {
    const ErrorClass = sdk.STATUS_ERRORS[Number(status) as keyof typeof sdk.STATUS_ERRORS];
    assert.equal(ErrorClass.name, name);
    assert.equal(errorClass(name), ErrorClass, `${name} is exported from the package root`);
    const error = new ErrorClass(new Response(null, { status: Number(status) }), problem(Number(status)));
    assert.ok(error instanceof sdk.TryvoxApiError && error instanceof sdk.TryvoxError && error instanceof Error);
    assert.equal(error.name, name);
    assert.equal(error.status, Number(status));
    assert.equal(error.code, 'x_code');
    assert.equal(error.message, `${status} x_code D`);
  }
});

test('an undocumented status, or a body that is not a problem, still throws by its status', () => {
  const unavailable = statusError(new Response(null, { status: 503 }), { status: 503, code: 'service_unavailable', title: 'U' });
  assert.equal(unavailable.constructor, sdk.TryvoxApiError);
  assert.equal(unavailable.status, 503);
  assert.equal(unavailable.code, 'service_unavailable');
  const notProblem = statusError(new Response(null, { status: 404 }), '<html>not found</html>');
  assert.ok(notProblem instanceof sdk.NotFoundError);
  assert.equal(notProblem.problem, undefined);
  assert.equal(notProblem.code, undefined);
  assert.equal(notProblem.message, '404');
});

test('RateLimitError.retryAfter is the seconds the answer asked to wait', () => {
  const limited = (headers: Record<string, string>) => new sdk.RateLimitError(new Response(null, { status: 429, headers }), problem(429));
  assert.equal(limited({ 'Retry-After': '7' }).retryAfter, 7);
  assert.equal(limited({}).retryAfter, undefined);
});

test('the network errors: requestSent, a timeout is a connection error, and neither is an API error', () => {
  const refused = new sdk.TryvoxConnectionError('refused', { requestSent: false });
  const late = new sdk.TryvoxTimeoutError('late', { requestSent: true });
  assert.equal(refused.requestSent, false);
  assert.ok(late instanceof sdk.TryvoxConnectionError && late instanceof sdk.TryvoxError);
  assert.ok(!(late instanceof sdk.TryvoxApiError));
  assert.equal(late.name, 'TryvoxTimeoutError');
  for (const pythonName of ['APIError', 'APIStatusError', 'APIConnectionError', 'APITimeoutError']) {
    assert.ok(errorClass(pythonName).prototype instanceof Error || errorClass(pythonName) === sdk.TryvoxError, pythonName);
  }
});
