/** Writes completions/ and docs/programs/ from the option table and registry (`npm run gen`). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from './generate.js';
import { PROGRAMS } from '../src/commands/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
for (const [path, text] of generatedFiles(PROGRAMS)) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
  console.log(`wrote ${path}`);
}
