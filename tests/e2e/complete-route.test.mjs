// The in-body complete route (`POST /s3/multipart/complete`, docs/protocol.md): one URL for
// every upload, so the browser's CORS preflight of the complete is paid once per page, not
// once per multipart upload; and an older signer replica without it costs one retry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { clientPage, freshPage, seededBytes, sha256, noSuchRoute } from '../lib/harness.mjs';

const MIB = 1024 * 1024;
const cleanup = [];
let stack, site, browser, opts;

before(async () => {
  ({ stack, site, browser, opts } = await clientPage(cleanup));
});

after(async () => { for (const f of cleanup.reverse()) await f(); });

/** Uploads `n` multipart files of 6 MiB one after the other; their results. */
const uploadInTurn = (page, n, seed) => page.evaluate(async ({ opts, n, seed }) => {
  const up = new window.t.Uploader({ ...opts, multipartThreshold: 1 });
  const out = [];
  for (let i = 0; i < n; i++) out.push(await up.upload(window.t.memoryFile(`c${i}.bin`, 6 * 1024 * 1024, seed + i), {}).done);
  return out;
}, { opts, n, seed });

/** The signer calls `page` makes (POSTs), and the CORS preflights among its requests, by path. */
async function watchCalls(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const seen = { preflights: [], posts: [] };
  cdp.on('Network.requestWillBeSent', (e) => {
    const u = new URL(e.request.url);
    if (!u.pathname.startsWith('/s3/')) return;
    if (e.type === 'Preflight' || e.request.method === 'OPTIONS') seen.preflights.push(u.pathname);
    else if (e.request.method === 'POST') seen.posts.push(u.pathname);
  });
  return seen;
}

const completes = (paths) => paths.filter((p) => p.includes('/multipart') && p.endsWith('/complete'));

async function assertStored(results, seed) {
  for (const [i, r] of results.entries()) {
    assert.equal(await stack.s3api.objectSha256(r.key), sha256(seededBytes(6 * MIB, seed + i)), r.key);
  }
}

test('two multipart uploads in one page pay one CORS preflight for their completes, not one each', async () => {
  const { context, page } = await freshPage({ browser, stack, site });
  const seen = await watchCalls(page);
  await assertStored(await uploadInTurn(page, 2, 4100), 4100);
  assert.deepEqual(completes(seen.preflights), ['/s3/multipart/complete'], `one preflight for both completes; preflights: ${seen.preflights.join(' ')}`);
  assert.deepEqual(completes(seen.posts), ['/s3/multipart/complete', '/s3/multipart/complete'], 'both completes by the in-body route');
  await context.close();
});

test('an older signer replica without the in-body route: the complete goes again by the path route, then only by it', async () => {
  const { context, page } = await freshPage({ browser, stack, site });
  const seen = await watchCalls(page);
  let refused = 0;
  await page.route((url) => url.pathname === '/s3/multipart/complete', (route) => { refused += 1; return noSuchRoute(route); });
  await assertStored(await uploadInTurn(page, 2, 4200), 4200);
  assert.equal(refused, 1, 'the in-body route was tried once');
  const byPath = completes(seen.posts).filter((p) => p !== '/s3/multipart/complete');
  assert.equal(byPath.length, 2, `both uploads completed by the path route: ${seen.posts.join(' ')}`);
  await context.close();
});
