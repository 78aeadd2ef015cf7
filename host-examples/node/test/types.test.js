// The package's TypeScript types: `tsc --noEmit` on a small program using the package
// (test/types/example.ts, through its `exports`, with strict checks and without
// skipLibCheck, so the package's own .d.ts files and jco's generated ones are checked
// too). The program's type-level checks tie the typed interfaces to the declarations jco
// generates from the WIT, and its `@ts-expect-error` lines fail the compile if the
// types go loose.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const require = createRequire(import.meta.url);
const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
const project = fileURLToPath(new URL('./types/tsconfig.json', import.meta.url));

test('a TypeScript program using the package type-checks (tsc --noEmit)', () => {
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', project], { encoding: 'utf8' });
  assert.equal(r.error, undefined);
  assert.equal(r.status, 0, `tsc found errors:\n${r.stdout}${r.stderr}`);
});
