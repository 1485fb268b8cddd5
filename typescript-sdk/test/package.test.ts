// The package as users get it: its version, what its root exports, its license; and the TypeScript examples of its
// README, of the docs site's pages and examples/clients/, compiled by strict tsc against the built package and run
// against a served simulator (each `console.log(…); // text` must print a line starting with that text).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import * as sdk from '../src/index.js';
import { SDK_DIR, readText } from './paths.js';
import { type Simulator, startSimulator } from './simulator.js';

const run = promisify(execFile);
const PACKAGE = JSON.parse(readFileSync(join(SDK_DIR, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
};

test('the version is the Python client version (openapi/client-config.yaml), in package.json and in the code', () => {
  const python = /^package_version_override:\s*(\S+)\s*$/m.exec(readText('openapi/client-config.yaml'))?.[1];
  assert.equal(PACKAGE.name, '@tryvox/call-actions');
  assert.equal(PACKAGE.version, python);
  assert.equal(sdk.VERSION, python);
});

test('the package root exports the functions, the client, the errors and the webhook parsers', () => {
  const names = ['transferCall', 'startRecording', 'stopRecording', 'playAudio', 'speakText', 'sendDtmf', 'createTryvoxClient',
    'parseCallHangup', 'parseTransferAnswered', 'TryvoxError', 'TryvoxApiError', 'TryvoxConnectionError', 'TryvoxTimeoutError',
    'RateLimitError', 'WebhookPayloadError'];
  for (const name of names) assert.equal(typeof (sdk as Record<string, unknown>)[name], 'function', name);
});

test('one runtime dependency, undici, and the license of the repository', () => {
  assert.deepEqual(Object.keys(PACKAGE.dependencies), ['undici']);
  assert.equal(readFileSync(join(SDK_DIR, 'LICENSE'), 'utf8'), readText('LICENSE'));
});

interface Example {
  file: string;
  code: string;
}

function examples(readme: string, prefix: string): Example[] {
  return [...readme.matchAll(/```ts\n(.*?)```/gs)].map((match, index) => ({ file: `${prefix}-${index + 1}`, code: match[1] ?? '' }));
}

// The site's pages that show the SDK (a block inside a content tab is indented: TypeScript does not mind).
const SITE_PAGES = ['docs/get-started/any-language.md', 'docs/guides/retries.md'];

const EXAMPLES = [
  ...examples(readFileSync(join(SDK_DIR, 'README.md'), 'utf8'), 'package'),
  ...SITE_PAGES.flatMap((page) => examples(readText(page), `site-${page.split('/').at(-1)?.replace('.md', '')}`)),
  { file: 'example-press-keys', code: readText('examples/clients/press-keys.ts') }, // the user program of make client-examples
];

describe('README examples', () => {
  let sim: Simulator;
  let home: string;
  let tscOutput: string;
  before(async () => {
    sim = await startSimulator();
    // A user's project outside the repository: the built package and Node's types in node_modules, strict settings
    // (and skipLibCheck, as `tsc --init` writes it: the snippets are checked, not Node's own declarations).
    home = mkdtempSync(join(tmpdir(), 'tryvox-sdk-readme-'));
    mkdirSync(join(home, 'node_modules', '@tryvox'), { recursive: true });
    mkdirSync(join(home, 'node_modules', '@types'), { recursive: true });
    symlinkSync(SDK_DIR, join(home, 'node_modules', '@tryvox', 'call-actions'));
    symlinkSync(join(SDK_DIR, 'node_modules', '@types', 'node'), join(home, 'node_modules', '@types', 'node'));
    writeFileSync(join(home, 'package.json'), JSON.stringify({ type: 'module' }));
    const compilerOptions = { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'], noEmitOnError: true, skipLibCheck: true };
    writeFileSync(join(home, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts'] }));
    for (const example of EXAMPLES) writeFileSync(join(home, `${example.file}.ts`), example.code);
    const tsc = join(SDK_DIR, 'node_modules', 'typescript', 'bin', 'tsc');
    const compiled = await run(process.execPath, [tsc, '-p', home]).catch((error: { stdout?: string }) => error);
    tscOutput = 'stdout' in compiled && compiled.stdout !== undefined ? compiled.stdout : String(compiled);
  });
  after(async () => {
    await sim.stop();
    rmSync(home, { recursive: true, force: true });
  });

  test('there are examples in its README and on every site page listed, and strict tsc compiles every one', async () => {
    assert.ok(EXAMPLES.filter((example) => example.file.startsWith('package')).length >= 6);
    for (const page of SITE_PAGES) {
      const name = page.split('/').at(-1)?.replace('.md', '') ?? '';
      assert.ok(EXAMPLES.some((example) => example.file.startsWith(`site-${name}-`)), `no example from ${page}`);
    }
    assert.equal(tscOutput, '', 'tsc reported errors');
  });

  for (const example of EXAMPLES) {
    test(`${example.file} runs against the simulator and prints what its comments say`, async () => {
      await sim.reset();
      const env = { PATH: process.env.PATH ?? '', TVX_BASE_URL: sim.baseUrl, TVX_AUTH_ID: sim.authId, TVX_API_TOKEN: sim.token, TVX_CALL_UUID: sim.callUuid };
      const { stdout } = await run(process.execPath, [join(home, `${example.file}.js`)], { env, cwd: home });
      const printed = stdout.split('\n');
      const promised = [...example.code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((match) => match[1] ?? '');
      for (const text of promised) {
        assert.ok(printed.some((line) => line.startsWith(text.replace(/….*$/, ''))), `printed no line starting ${JSON.stringify(text)}:\n${stdout}`);
      }
    });
  }
});
