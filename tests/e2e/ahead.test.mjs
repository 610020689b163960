// The complete ahead of the last parts' answers (docs/protocol.md, `pending`): on a slow link the
// multipart complete leaves while the last parts' bytes still travel, and the signer waits for the
// store to hold them, so the upload ends a round trip sooner. Against an older signer that ignores
// `pending`, the complete goes again after the answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { clientPage, freshPage, seededBytes, sha256 } from '../lib/harness.mjs';

const MIB = 1024 * 1024;
const cleanup = [];
let stack, site, browser, opts;

before(async () => {
  ({ stack, site, browser, opts } = await clientPage(cleanup));
});

after(async () => { for (const f of cleanup.reverse()) await f(); });

/**
 * A page on an emulated link (40 ms, 20 MiB/s up), its requests timed by CDP: each multipart
 * complete's body and when it left, and when each part PUT's answer came (ms, CDP's clock).
 */
async function slowPage() {
  const { context, page } = await freshPage({ browser, stack, site });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 40, downloadThroughput: -1, uploadThroughput: 20 * MIB });
  const seen = { completes: [], parts: new Map(), answered: [] };
  cdp.on('Network.requestWillBeSent', (e) => {
    const u = new URL(e.request.url);
    if (e.request.method === 'POST' && u.pathname.includes('/multipart') && u.pathname.endsWith('/complete')) {
      seen.completes.push({ at: e.timestamp * 1000, body: JSON.parse(e.request.postData ?? '{}') });
    }
    if (e.request.method === 'PUT' && u.searchParams.has('partNumber')) seen.parts.set(e.requestId, Number(u.searchParams.get('partNumber')));
  });
  cdp.on('Network.responseReceived', (e) => {
    if (seen.parts.has(e.requestId)) seen.answered.push({ part: seen.parts.get(e.requestId), at: e.timestamp * 1000 });
  });
  return { context, page, seen };
}

const upload = (page, o, name, size, seed) => page.evaluate(async ({ o, name, size, seed }) => {
  const up = new window.t.Uploader(o);
  return await up.upload(window.t.memoryFile(name, size, seed), {}).done;
}, { o, name, size, seed });

test('on a slow link the complete leaves before the last parts are answered, with them pending, and the object is whole', async () => {
  const { context, page, seen } = await slowPage();
  const size = 24 * MIB + 321;
  const r = await upload(page, { ...opts, partSize: 5 * MIB }, 'ahead.bin', size, 7100);
  assert.equal(await stack.s3api.objectSha256(r.key), sha256(seededBytes(size, 7100)));
  assert.equal(r.confirmed, true);
  assert.equal(seen.completes.length, 1, `one complete: ${JSON.stringify(seen.completes.map((c) => c.body.pending))}`);
  const [c] = seen.completes;
  assert.ok(c.body.pending?.length > 0, `the complete named parts in flight as pending: ${JSON.stringify(c.body)}`);
  const pending = new Set(c.body.pending);
  const listed = c.body.parts.map((p) => p.PartNumber);
  assert.deepEqual([...listed, ...pending].sort((a, b) => a - b), [1, 2, 3, 4, 5], 'every part, once, listed or pending');
  // Proof it went ahead: each pending part's answer came after the complete left.
  for (const a of seen.answered.filter((a) => pending.has(a.part))) {
    assert.ok(a.at > c.at, `part ${a.part} answered ${(a.at - c.at).toFixed(0)} ms after the complete left`);
  }
  await context.close();
});

test('a signer that ignores pending refuses the complete; it goes again after the answers and the object is whole', async () => {
  const { context, page, seen } = await slowPage();
  // An older signer: it reads the body without `pending`, so it refuses the parts it misses.
  let stripped = 0;
  await page.route(/\/s3\/multipart(\/[^/]+)?\/complete/, async (route) => {
    const body = JSON.parse(route.request().postData() ?? '{}');
    if (body.pending) stripped++;
    delete body.pending;
    await route.continue({ postData: JSON.stringify(body) });
  });
  const size = 24 * MIB + 17;
  const r = await upload(page, { ...opts, partSize: 5 * MIB }, 'older.bin', size, 7200);
  assert.equal(await stack.s3api.objectSha256(r.key), sha256(seededBytes(size, 7200)));
  assert.ok(stripped >= 1, 'a complete went ahead with pending parts (and the older signer lost them)');
  assert.equal(seen.completes.length, 2, 'the refused complete, then one after the answers');
  assert.equal(seen.completes[1].body.pending, undefined, 'the second names every part');
  assert.equal(seen.completes[1].body.parts.length, 5);
  await context.close();
});
