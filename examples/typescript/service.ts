// A small Node service on the tryvox Call Actions API, with @tryvox/call-actions: it transfers a caller to an agent
// and learns how the call ended from the hangup webhook.
//
//   POST /calls/{call_uuid}/transfer   {"to": "+1…"}  -> 202 {call_uuid, transfer, ended}
//   POST /webhooks/hangup              the hangup webhook (the call's details) -> 204; 400 when it breaks the spec
//   GET  /calls/{call_uuid}            what the service knows of the call
//
// A transfer is not idempotent and the API documents no idempotency key. When its answer is lost after the request
// was sent (TryvoxConnectionError with requestSent), the service never sends it again: it records the transfer as
// unconfirmed and reconciles from the call's details when they arrive in the hangup webhook (hangup_cause
// "transferred": it was carried out). The client itself waits out a 429 and sends again.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import {
  type Client,
  RateLimitError,
  TryvoxApiError,
  TryvoxConnectionError,
  WebhookPayloadError,
  parseCallHangup,
  transferCall,
} from '@tryvox/call-actions';

export interface CallState {
  call_uuid: string;
  transfer: 'transferring' | 'unconfirmed' | 'transferred' | 'not transferred' | null;
  ended: string | null; // the hangup cause, once the webhook came
}

type Answer = [status: number, body?: unknown];

async function read(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The service, on `client` (createTryvoxClient) for the account `authId`. */
export function createService(client: Client, authId: string): Server {
  const calls = new Map<string, CallState>();
  const call = (uuid: string): CallState => {
    const key = uuid.toLowerCase();
    const found = calls.get(key) ?? { call_uuid: key, transfer: null, ended: null };
    calls.set(key, found);
    return found;
  };

  async function transfer(uuid: string, body: string): Promise<Answer> {
    const found = call(uuid);
    if (found.transfer === 'transferring' || found.transfer === 'unconfirmed') return [409, found]; // never twice
    const { to } = JSON.parse(body) as { to: string };
    try {
      await transferCall({ client, path: { auth_id: authId, call_uuid: found.call_uuid }, body: { to }, throwOnError: true });
    } catch (error) {
      if (error instanceof RateLimitError) return [503, { error: 'rate_limited', retry_after: error.retryAfter }];
      if (error instanceof TryvoxConnectionError) {
        if (!error.requestSent) return [503, { error: 'tryvox not reached' }];
        found.transfer = 'unconfirmed'; // it may have been carried out: the hangup webhook will tell
        return [202, found];
      }
      if (error instanceof TryvoxApiError) return [502, { error: error.code }];
      throw error;
    }
    found.transfer = 'transferring';
    return [202, found];
  }

  function hangup(body: string): Answer {
    let details;
    try {
      details = parseCallHangup(body);
    } catch (error) {
      if (error instanceof WebhookPayloadError) return [400, { error: error.message }];
      throw error;
    }
    const found = call(details.call_uuid);
    found.ended = details.hangup_cause ?? 'unknown';
    if (found.transfer === 'transferring' || found.transfer === 'unconfirmed') {
      found.transfer = found.ended === 'transferred' ? 'transferred' : 'not transferred'; // reconciled
    }
    return [204];
  }

  async function route(request: IncomingMessage): Promise<Answer> {
    const path = new URL(request.url ?? '/', 'http://service').pathname;
    const transferring = /^\/calls\/([^/]+)\/transfer$/.exec(path);
    if (request.method === 'POST' && transferring?.[1]) return transfer(transferring[1], await read(request));
    if (request.method === 'POST' && path === '/webhooks/hangup') return hangup(await read(request));
    const shown = /^\/calls\/([^/]+)$/.exec(path);
    if (request.method === 'GET' && shown?.[1]) return [200, call(shown[1])];
    return [404, { error: 'not found' }];
  }

  return createServer((request: IncomingMessage, response: ServerResponse) => {
    route(request)
      .catch((error: unknown) => [500, { error: String(error) }] as Answer)
      .then(([status, body]) => {
        response.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
        response.end(body === undefined ? undefined : JSON.stringify(body));
      });
  });
}
