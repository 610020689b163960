// A folder picked in <s3lift-dropzone> keeps its relative paths in the keys
// (issue 14, "Folders"), against the real signer and Garage: 1,000 files in
// nested folders go through the widget's folder input (webkitdirectory),
// every object is byte-exact under `<prefix>/<caller>/<uuid>.<tag>/<path>`,
// and both the `s3lift-complete` event and the webhook carry the path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startWorld, watchPage, seededBytes, sha256 } from '../lib/harness.mjs';

const MIB = 1024 * 1024;
const cleanup = [];
const deliveries = [];
let stack, site, browser;

before(async () => {
  const hook = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => { deliveries.push(JSON.parse(Buffer.concat(chunks))); res.writeHead(204).end(); });
  });
  await new Promise((ok) => hook.listen(0, '127.0.0.1', ok));
  cleanup.push(() => new Promise((ok) => hook.close(ok)));
  const env = { S3LIFT_WEBHOOK_URL: `http://127.0.0.1:${hook.address().port}/hook`, S3LIFT_WEBHOOK_SECRET: 'whsec-folders-0123456789abcdef01234' };
  ({ stack, site, browser } = await startWorld(cleanup, { env }));
});

after(async () => { for (const f of cleanup.reverse()) await f(); });

/** Writes `files` (`[[relativePath, size, seed]]`) under a fresh directory; answers its path. */
function writeTree(files) {
  const root = mkdtempSync(join(tmpdir(), 's3lift-folders-'));
  cleanup.push(() => rmSync(root, { recursive: true, force: true }));
  for (const [rel, size, seed] of files) {
    mkdirSync(join(root, dirname(rel)), { recursive: true });
    writeFileSync(join(root, rel), seededBytes(size, seed));
  }
  return root;
}

async function openWidget() {
  const context = await browser.newContext();
  const page = await context.newPage();
  watchPage(page, stack);
  const q = new URLSearchParams({ endpoint: `${stack.signer}/s3` });
  await page.goto(`${site.url}/dropzone.html?${q}`);
  await page.waitForFunction(() => window.ready === true);
  return { context, page };
}

/** Clicks "or a folder" and picks `dir` in the chooser it opens (a `webkitdirectory` input). */
async function pickFolder(page, dir) {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.locator('#dz button.folder').click()]);
  assert.ok(await chooser.element().evaluate((i) => i.webkitdirectory), 'the chooser picks folders');
  await chooser.setFiles(dir);
}

const settled = (page, n, timeout) => page.waitForFunction((n) => {
  const ups = document.getElementById('dz').uploads;
  return ups.length === n && ups.every((u) => ['done', 'failed', 'cancelled'].includes(u.state));
}, n, { timeout, polling: 250 });

test('a folder of 1,000 files in nested folders keeps each relative path in its key, byte for byte', async () => {
  const files = [];
  for (let i = 0; i < 999; i++) {
    const dirs = [`d${i % 8}`, ...(i % 3 ? [`sub ${i % 5}`] : []), ...(i % 50 === 0 ? ['été', 'deep', 'er'] : [])];
    files.push([['album', ...dirs, `f${i}.bin`].join('/'), 1 + ((i * 37) % 4000), i + 1]);
  }
  // One multipart upload: the create carries the path too.
  files.push(['album/video/clip.bin', 9 * MIB + 1, 5000]);
  const root = writeTree(files);
  const { context, page } = await openWidget();
  await pickFolder(page, join(root, 'album'));
  await settled(page, files.length, 300_000);
  const states = await page.evaluate(() => document.getElementById('dz').uploads.map((u) => u.state));
  assert.deepEqual([...new Set(states)], ['done'], 'every file is done');

  const events = await page.evaluate(() => window.events.filter((e) => e.type === 's3lift-complete')
    .map((e) => ({ relativePath: e.detail.relativePath, key: e.detail.result.key })));
  assert.equal(events.length, files.length);
  const byPath = new Map(events.map((e) => [e.relativePath, e.key]));
  assert.equal(byPath.size, files.length, 'each complete event names its own path');
  const keyShape = /^uploads\/alice\/[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.[0-9a-f]{32}\//;
  for (const [rel] of files) {
    const key = byPath.get(rel);
    assert.ok(key, `a complete event for ${rel}`);
    assert.match(key, keyShape);
    assert.equal(key.replace(keyShape, ''), rel, 'the key ends with the relative path');
  }

  // What the store holds: exactly these keys, each byte-exact.
  const stored = await stack.s3api.list('uploads/alice/');
  assert.deepEqual(stored.map((o) => o.key).sort(), [...byPath.values()].sort());
  const queue = [...files];
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let f; (f = queue.shift());) {
      const [rel, size, seed] = f;
      assert.equal(await stack.s3api.objectSha256(byPath.get(rel)), sha256(seededBytes(size, seed)), rel);
    }
  }));

  // The webhook: one event per object, each with the path its key holds.
  const deadline = Date.now() + 30_000;
  while (deliveries.length < files.length && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 100));
  const hooked = new Map(deliveries.map((d) => [d.key, d.relativePath]));
  assert.equal(hooked.size, files.length, 'one webhook event per object');
  for (const [rel] of files) assert.equal(hooked.get(byPath.get(rel)), rel, `webhook relativePath of ${rel}`);

  // The list names each row (those in view) by its path.
  const names = await page.evaluate(() => [...document.getElementById('dz').shadowRoot.querySelectorAll('.name')].map((n) => n.textContent));
  assert.ok(names.length > 0);
  for (const name of names) assert.ok(byPath.has(name), `row named ${name}`);
  await context.close();
});

test('a path too deep is refused with bad_path and a message, and its neighbours upload', async () => {
  const deep = `top/${Array.from({ length: 16 }, (_, i) => `l${i}`).join('/')}/too-deep.txt`;
  const root = writeTree([[deep, 10, 1], ['top/ok.txt', 20, 2]]);
  const { context, page } = await openWidget();
  await pickFolder(page, join(root, 'top'));
  await settled(page, 2, 60_000);
  const items = await page.evaluate(() => document.getElementById('dz').uploads
    .map((u) => ({ path: u.relativePath, state: u.state, error: u.error })));
  const bad = items.find((i) => i.path === deep);
  assert.equal(bad.state, 'failed');
  assert.equal(bad.error.code, 'bad_path');
  assert.equal(bad.error.status, 400);
  assert.match(bad.error.message, /has 18 segments; at most 16/);
  assert.equal(items.find((i) => i.path === 'top/ok.txt').state, 'done');
  await context.close();
});

test('against a Companion-shaped signer (which ignores relativePath) a folder still uploads, keyed by file name', async () => {
  const root = writeTree([['pics/2024/small.txt', 3000, 7], ['pics/big.bin', 9 * MIB + 3, 8]]);
  const { context, page } = await openWidget();
  // @uppy/companion: no batch route, and no `relativePath` in what it reads.
  const CORS = { 'access-control-allow-origin': '*' };
  let stripped = 0;
  await page.route((url) => url.pathname === '/s3/params' || url.pathname === '/s3/multipart', async (route) => {
    const req = route.request();
    if (req.method() === 'OPTIONS') return route.continue();
    if (req.method() === 'POST' && req.url().includes('/s3/params')) {
      return route.fulfill({ status: 404, contentType: 'text/html', headers: CORS, body: 'Cannot POST' });
    }
    if (req.method() === 'GET') {
      const url = new URL(req.url());
      if (url.searchParams.has('relativePath')) stripped += 1;
      url.searchParams.delete('relativePath');
      return route.continue({ url: url.href });
    }
    const body = JSON.parse(req.postData());
    if ('relativePath' in body) stripped += 1;
    delete body.relativePath;
    return route.continue({ postData: JSON.stringify(body) });
  });
  await pickFolder(page, join(root, 'pics'));
  await settled(page, 2, 120_000);
  const items = await page.evaluate(() => window.events.filter((e) => e.type === 's3lift-complete')
    .map((e) => ({ relativePath: e.detail.relativePath, key: e.detail.result.key })));
  assert.equal(stripped, 2, 'both signing requests carried relativePath, and the Companion shape dropped it');
  assert.deepEqual(items.map((i) => i.relativePath).sort(), ['pics/2024/small.txt', 'pics/big.bin']);
  for (const { relativePath, key } of items) {
    const name = relativePath.split('/').at(-1);
    assert.match(key, new RegExp(`^uploads/alice/[^/]+/${name}$`), 'keyed by the file name alone');
  }
  const keyOf = Object.fromEntries(items.map((i) => [i.relativePath, i.key]));
  assert.equal(await stack.s3api.objectSha256(keyOf['pics/2024/small.txt']), sha256(seededBytes(3000, 7)));
  assert.equal(await stack.s3api.objectSha256(keyOf['pics/big.bin']), sha256(seededBytes(9 * MIB + 3, 8)));
  await context.close();
});
