// The package's init functions (`init`, the default export, and `initSync`) with every
// argument form they take, each on a fresh page (one module instance per page): the module
// loads, and an upload through it stores the file. scripts/short-imports.py replaces
// wasm-bindgen's own init code with a shorter one; this is what holds it to the same API.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, watchPage, seededBytes, sha256, TOKEN } from '../lib/harness.mjs';

const cleanup = [];
after(async () => { for (const f of cleanup.reverse()) await f(); });
const { stack, site, browser } = await startWorld(cleanup);

/** On a fresh page: imports the package, runs `form` (its source, given `m` and `url`), uploads a file. */
async function loadWith(form, seed) {
  const page = await browser.newPage();
  cleanup.push(() => page.close());
  watchPage(page, stack);
  const warnings = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  await page.goto(`${site.url}/blank.html`);
  const size = 1000 + seed;
  const r = await page.evaluate(async ({ form, endpoint, token, size, seed }) => {
    const m = await import('/pkg/s3lift.js');
    const url = new URL('/pkg/s3lift_bg.wasm', location.href);
    const exports = await new Function('m', 'url', `return (async () => { ${form} })()`)(m, url);
    // Once loaded, both functions answer the same exports again.
    const again = (await m.default()) === exports && m.initSync() === exports;
    // The test pages' seeded file (the same bytes as the harness's seededBytes).
    const { memoryFile } = await import('/files.js');
    const up = new m.Uploader({ endpoint, headers: { Authorization: `Bearer ${token}` } });
    const result = await up.upload(memoryFile(`init-${seed}.bin`, size, seed)).done;
    return { again, key: result.key, memory: exports.memory instanceof WebAssembly.Memory };
  }, { form, endpoint: `${stack.signer}/s3`, token: TOKEN, size, seed });
  assert.ok(r.memory, `${form}: resolves with the module's exports`);
  assert.ok(r.again, `${form}: init() and initSync() answer the same exports once loaded`);
  assert.equal(await stack.s3api.objectSha256(r.key), sha256(seededBytes(size, seed)), form);
  return warnings;
}

const FORMS = [
  'return m.default()',
  'return m.default(String(url))',
  'return m.default(url)',
  'return m.default(new Request(url))',
  'return m.default({ module_or_path: url })',
  'return m.default(fetch(url))',
  'return m.default(await fetch(url))',
  'return m.default(await (await fetch(url)).arrayBuffer())',
  'return m.default({ module_or_path: await WebAssembly.compileStreaming(fetch(url)) })',
  'return m.initSync(await (await fetch(url)).arrayBuffer())',
  'return m.initSync({ module: await (await fetch(url)).arrayBuffer() })',
  'return m.initSync({ module: await WebAssembly.compileStreaming(fetch(url)) })',
];

test('init() and initSync() load the module from every form they take, and it uploads', async () => {
  for (const [i, form] of FORMS.entries()) assert.deepEqual(await loadWith(form, i + 1), [], `${form}: no warning`);
});

test('a .wasm served without application/wasm still loads, with a warning', async () => {
  const form = "const r = await fetch(url); return m.default(new Response(await r.arrayBuffer(), { headers: { 'content-type': 'application/octet-stream' } }))";
  const warnings = await loadWith(form, 40);
  assert.equal(warnings.length, 1, `one warning: ${warnings}`);
  assert.match(warnings[0], /not served as application\/wasm/);
});

test('a failed init() rejects with the fetch status, and a second call loads the module', async () => {
  const form = `
    const missing = await m.default(new URL('/pkg/no-such.wasm', location.href)).then(() => 'loaded', (e) => e.message);
    if (!/failed to fetch Wasm: 404/.test(missing)) throw new Error('first call: ' + missing);
    return m.default(url);`;
  await loadWith(form, 41);
});
