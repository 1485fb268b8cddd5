// Where the tests find the repository's files (they run compiled, from build/test/).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SDK_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const ROOT_DIR = fileURLToPath(new URL('../../../', import.meta.url));

export function readText(fromRoot: string): string {
  return readFileSync(ROOT_DIR + fromRoot, 'utf8');
}
