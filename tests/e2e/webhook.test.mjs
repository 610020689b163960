// A small file's upload reports itself (POST /s3/params/complete), so the
// signer's signed `upload.completed` webhook fires for it too (issue 12, item 7).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { clientPage, seededBytes, sha256 } from '../lib/harness.mjs';

const SECRET = 'whsec-e2e-0123456789abcdef0123456789';
const cleanup = [];
let world;
const deliveries = [];
let arrived = () => {};

/** docs/deploy.md's receiver check. */
function verify(header, raw) {
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=')));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > 300) return false;
  const expected = createHmac('sha256', SECRET).update(`${t}.`).update(raw).digest();
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

before(async () => {
  const hook = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      deliveries.push({ signature: req.headers['x-s3lift-signature'] ?? '', raw });
      res.writeHead(204).end();
      arrived();
    });
  });
  await new Promise((ok) => hook.listen(0, '127.0.0.1', ok));
  cleanup.push(() => new Promise((ok) => hook.close(ok)));
  const url = `http://127.0.0.1:${hook.address().port}/hook`;
  world = await clientPage(cleanup, { env: { S3LIFT_WEBHOOK_URL: url, S3LIFT_WEBHOOK_SECRET: SECRET } });
});

after(async () => { for (const f of cleanup.reverse()) await f(); });

async function delivery(n) {
  while (deliveries.length < n) await new Promise((ok) => { arrived = ok; setTimeout(ok, 200); });
  return deliveries[n - 1];
}

test('a small file fires one signed webhook and resolves confirmed', async () => {
  const { page, opts, stack } = world;
  const r = await page.evaluate(async ({ opts }) => {
    const up = new window.t.Uploader(opts);
    return up.upload(window.t.memoryFile('note.txt', 1000, 5, 'text/plain'), {}).done;
  }, { opts });
  assert.equal(r.confirmed, true);
  assert.equal(await stack.s3api.objectSha256(r.key), sha256(seededBytes(1000, 5)));
  const d = await delivery(1);
  assert.ok(verify(d.signature, d.raw), `signature ${d.signature}`);
  const e = JSON.parse(d.raw);
  assert.equal(e.type, 'upload.completed');
  assert.equal(e.key, r.key);
  assert.equal(e.size, 1000);
  assert.equal(e.contentType, 'text/plain');
  assert.equal(e.caller, 'alice');
  assert.equal(e.etag, r.etag);
});

test('without the route (Companion) the upload still succeeds; a 413 fails it', async () => {
  const { page, opts } = world;
  let answer = { status: 404, body: 'Cannot POST /s3/params/complete', contentType: 'text/html' };
  let calls = 0;
  await page.route('**/s3/params/complete*', (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    calls += 1;
    return route.fulfill({ ...answer, headers: { 'access-control-allow-origin': '*' } });
  });
  const companion = await page.evaluate(async ({ opts }) => {
    const up = new window.t.Uploader(opts);
    const a = await up.upload(window.t.memoryFile('a.txt', 10, 1, 'text/plain'), {}).done;
    const b = await up.upload(window.t.memoryFile('b.txt', 10, 2, 'text/plain'), {}).done;
    return [a.confirmed, b.confirmed];
  }, { opts });
  assert.deepEqual(companion, [false, false]);
  assert.equal(calls, 1, 'a signer without the route is asked once per uploader');

  answer = { status: 413, contentType: 'application/json', body: '{"error":"the object is 20 bytes, more than the 10 approved; it was deleted","code":"too_large"}' };
  const refused = await page.evaluate(async ({ opts }) => {
    const up = new window.t.Uploader(opts);
    try { await up.upload(window.t.memoryFile('c.txt', 10, 3, 'text/plain'), {}).done; return 'resolved'; } catch (e) { return `${e.code} ${e.status}`; }
  }, { opts });
  assert.equal(refused, 'too_large 413');
  await page.unroute('**/s3/params/complete*');
});
