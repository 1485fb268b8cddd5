// The error for an error answer: its status's class (src/generated/errors.gen.ts) with the problem it carried. Apart
// from errors.ts because the generated classes extend that module's bases.
import { TryvoxApiError } from './errors.js';
import { STATUS_ERRORS } from './generated/errors.gen.js';
import type { Problem } from './generated/types.gen.js';

function isStatus(status: number): status is keyof typeof STATUS_ERRORS {
  return Object.hasOwn(STATUS_ERRORS, status);
}

function isProblem(body: unknown): body is Problem {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const fields = body as Record<string, unknown>;
  return typeof fields.status === 'number' && typeof fields.code === 'string' && typeof fields.title === 'string';
}

/** The error for an answer of status >= 400, given its parsed body (not a problem: the status still says what happened). */
export function statusError(response: Response, body: unknown): TryvoxApiError {
  const problem = isProblem(body) ? body : undefined;
  const ErrorClass = isStatus(response.status) ? STATUS_ERRORS[response.status] : TryvoxApiError;
  return new ErrorClass(response, problem);
}
