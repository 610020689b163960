// The bundle an app ships, `.wasm` + minified glue, gzipped, as scripts/build-client.sh measures it
// (dist/bundle-size.json, written by that build): held to a budget, so that no change grows it unseen.
// Lower BUDGET when a change cuts the bundle. Raise it only in a commit of its own that says what
// the bytes buy (BENCHMARKS.md lists every step). Issue 13's bar is 40,000 B, its goal 23,000 B.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../lib/harness.mjs';

const BUDGET = 39_800;

test('the shipped bundle (.wasm + minified glue, gzipped) stays within its budget', () => {
  const file = join(ROOT, 'dist', 'bundle-size.json');
  const size = JSON.parse(readFileSync(file, 'utf8'));
  // The figures must be this build's: written after the package they measure.
  assert.ok(statSync(file).mtimeMs >= statSync(join(ROOT, 'dist', 'pkg', 's3lift_bg.wasm')).mtimeMs, 'dist/bundle-size.json is older than dist/pkg: run scripts/build-client.sh');
  assert.equal(size.total, size.wasmGz + size.glueGz);
  assert.ok(size.total <= BUDGET, `the bundle is ${size.total} B gzipped (wasm ${size.wasmGz} + glue ${size.glueGz}), over its budget of ${BUDGET} B: cut it, or raise BUDGET in its own commit`);
});
