#!/usr/bin/env node
// Transpiles the fichier component into ./gen with jco.
//
//   npm run transpile                       # ../../target/guest/fichier.wasm
//   FICHIER_WASM=/path/to/fichier.wasm npm run transpile
//   FICHIER_SCHEMA=/path/to/wit-schema.json npm run transpile   # the schema of that .wasm
//
// - `--instantiation sync`: gen/fichier_guest.js exports `instantiate(getCoreModule,
//   imports)`, so every call can get a fresh instance with its own imports (its own
//   store, configuration and clock), as the Rust host does.
// - `--map`: wasi:keyvalue/*, wasi:config/* and wasi:clocks/wall-clock are read from the
//   import keys `../host/kv.js`, `../host/config.js` and `../host/clock.js` (paths are
//   relative to gen/). src/index.js fills them with per-instance objects built by those
//   modules; every other WASI import comes from @bytecodealliance/preview2-shim.
// - TypeScript declarations are emitted next to the JS (gen/fichier_guest.d.ts,
//   gen/interfaces/*.d.ts); src/index.d.ts re-exports the fichier ones. jco 1.15.4
//   declares a function named by a JS keyword (`delete`, `export`) as a bare
//   `function _delete(…);` followed by `export { _delete as delete }`, which TypeScript
//   rejects in a .d.ts (TS1046) unless `skipLibCheck`: such lines get `declare` here
//   (nothing else in gen/ is changed).
// - gen/schema.json: the fichier interfaces' types, as the Rust host reads them from the
//   component itself (../wit-schema.json, kept in sync by tests/tests/wit_schema.rs), so
//   that `invoke` checks and converts JSON by type like the Rust host; src/index.js
//   checks at load that it describes the transpiled component.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const wasm = resolve(process.env.FICHIER_WASM ?? join(pkg, '../../target/guest/fichier.wasm'));
const schemaFile = resolve(process.env.FICHIER_SCHEMA ?? join(pkg, 'wit-schema.json'));
const out = join(pkg, 'gen');

if (!existsSync(wasm)) {
  console.error(`transpile: no component at ${wasm}
  build it at the repository root with \`cargo build -p fichier-artifact\`, or set FICHIER_WASM.`);
  process.exit(1);
}
let schema;
try {
  schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
} catch (e) {
  console.error(`transpile: cannot read the component's schema ${schemaFile}: ${e.message}`);
  process.exit(1);
}

// jco's CLI, resolved from this package's node_modules (works with npm, pnpm, yarn).
// (Its package.json is not exported: find the package root from its main module.)
const require = createRequire(import.meta.url);
let jcoDir = dirname(require.resolve('@bytecodealliance/jco'));
while (!existsSync(join(jcoDir, 'package.json'))) jcoDir = dirname(jcoDir);
const jcoManifest = JSON.parse(readFileSync(join(jcoDir, 'package.json'), 'utf8'));
const jcoCli = join(jcoDir, jcoManifest.bin.jco);
const jcoVersion = jcoManifest.version;

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const args = [
  jcoCli, 'transpile', wasm,
  '--out-dir', out,
  '--name', 'fichier_guest',
  '--instantiation', 'sync',
  '--map', 'wasi:keyvalue/*=../host/kv.js#*',
  '--map', 'wasi:config/*=../host/config.js#*',
  '--map', 'wasi:clocks/wall-clock=../host/clock.js#wallClock',
  '--quiet',
];
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
if (r.status !== 0) {
  console.error(`transpile: jco ${jcoVersion} failed (exit ${r.status ?? r.signal})`);
  process.exit(r.status ?? 1);
}

// A bare top-level `function` in a .d.ts is an error (TS1046): make it a declaration.
let fixed = 0;
for (const file of readdirSync(out, { recursive: true }).filter((f) => String(f).endsWith('.d.ts'))) {
  const path = join(out, String(file));
  const text = readFileSync(path, 'utf8');
  const next = text.replace(/^function (?=[A-Za-z_$][\w$]*\()/gm, () => {
    fixed++;
    return 'declare function ';
  });
  if (next !== text) writeFileSync(path, next);
}

// gen/ is ES modules like the rest of the package.
writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module' }, null, 2) + '\n');
writeFileSync(join(out, 'schema.json'), JSON.stringify(schema, null, 1) + '\n');
writeFileSync(
  join(out, 'build.json'),
  JSON.stringify({ component: wasm, schema: schemaFile, jco: jcoVersion, transpiledAt: new Date().toISOString() }, null, 2) + '\n',
);
console.log(`transpiled ${wasm}\n  with jco ${jcoVersion} into ${out}${fixed ? ` (${fixed} .d.ts declaration(s) given \`declare\`)` : ''}`);
