/**
 * The layers of src/ hold (src/README.md): dependency-cruiser checks the real tree against
 * .dependency-cruiser.cjs, and a small tree that breaks each rule shows every rule bites.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/run-bin.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

function cruise(cwd: string): Violation[] {
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'),
      'src',
      '--config',
      join(ROOT, '.dependency-cruiser.cjs'),
      '--output-type',
      'json',
    ],
    {
      cwd,
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    },
  );
  assert.ok(r.stdout, r.stderr);
  return (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

test('src/ keeps its layers: no cycles, cli/ only for commands, engines stand alone, the core below the runtime', () => {
  const found = cruise(ROOT).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
  assert.deepEqual(found, []);
});

test('each layer rule catches the import it forbids', () =>
  withTmpDir(async (dir) => {
    const files: Record<string, string> = {
      'src/cli/options.ts': 'export const x = 1;\n',
      'src/commands/cat.ts': "import { x } from '../cli/options.js';\nexport const cat = x;\n",
      'src/rotate/rotator.ts': "import { x } from '../cli/options.js';\nimport { r } from '../recv/receiver.js';\nexport const y = x + r;\n",
      'src/recv/receiver.ts': 'export const r = 1;\n',
      'src/runtime/input.ts': "import { r } from '../recv/receiver.js';\nexport const i = r;\n",
      'src/io/sources.ts': "import { i } from '../runtime/input.js';\nimport { c } from '../commands/cat.js';\nexport const s = i + c;\n",
      'src/stream/a.ts': "import { b } from './b.js';\nexport const a = b;\n",
      'src/stream/b.ts': "import { a } from './a.js';\nexport const b = a;\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' }, include: ['src'] }));
    const rules = new Set(cruise(dir).map((v) => v.rule.name));
    assert.deepEqual([...rules].sort(), [
      'cli-is-for-commands',
      'commands-are-the-top',
      'core-below-runtime',
      'engines-stand-alone',
      'no-cycles',
      'runtime-below-engines',
    ]);
  }));
