// A program using the TypeScript SDK as an integrator writes one: no client to make (the operations use the SDK's
// default client, built from TVX_API_TOKEN and TVX_BASE_URL, with the retry policy), results typed, errors typed.
// `make client-examples` type-checks it with strict tsc against the built package; ts-test (test/package.test.ts)
// compiles it as a user's project would and runs it against a simulator.
//
//     node press-keys.js [AUTH_ID CALL_UUID [DIGITS]]     (else TVX_AUTH_ID and TVX_CALL_UUID)
import {
  ConflictError, type Logger, TryvoxConnectionError, createTryvoxClient, sendDtmf, speakText, startRecording, stopRecording,
} from '@tryvox/call-actions';

type Path = { auth_id: string; call_uuid: string };

/** Send the keys once: never twice, since DTMF sent twice presses them twice. */
async function press(path: Path, digits: string): Promise<string> {
  try {
    const sent = await sendDtmf({ path, body: { digits }, throwOnError: true });
    return `${sent.data.status} ${sent.data.digits}`;
  } catch (error) {
    if (error instanceof TryvoxConnectionError) return error.requestSent ? 'unknown outcome' : 'not sent';
    throw error;
  }
}

/** Record while the greeting plays, with a client of its own that logs what it does. */
async function recordAGreeting(path: Path, logger: Logger): Promise<string> {
  const client = createTryvoxClient({ logger, throwOnError: true });
  await startRecording({ client, path, body: { format: 'wav' } });
  await speakText({ client, path, body: { text: 'This call is recorded.' } });
  const stopped = await stopRecording({ client, path, throwOnError: true });
  return stopped.data.url;
}

const [authId = process.env.TVX_AUTH_ID ?? '', callUuid = process.env.TVX_CALL_UUID ?? '', digits = '1234#'] = process.argv.slice(2);
const path: Path = { auth_id: authId, call_uuid: callUuid };
console.log(await press(path, digits)); // sent 1234#
const lines: string[] = [];
try {
  const url = await recordAGreeting(path, { info: (line) => lines.push(line), debug: () => undefined });
  console.log(`recorded ${url}`); // recorded https://recordings.tryvox.io/
} catch (error) {
  if (!(error instanceof ConflictError)) throw error;
  console.log(`not recorded: ${error.code}`);
}
console.log(`${lines.length} log lines`); // 3 log lines
