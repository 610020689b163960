// Off the main thread (issue 14): with `worker: true` the engine, its requests and its
// SHA-256 digests run in a dedicated module worker, and the page's main thread sees no
// long task (over 50 ms) during a 96 MiB upload with `checksum: 'sha256'`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, watchPage, seededBytes, sha256, TOKEN } from '../lib/harness.mjs';

const MIB = 1024 * 1024;
let stack, site, browser;
const cleanup = [];

before(async () => {
  ({ stack, site, browser } = await startWorld(cleanup));
});

after(async () => { for (const f of cleanup.reverse()) await f(); });

/** The test page, with every `fetch` and XHR its own main thread starts counted. */
async function openPage() {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    window.pageRequests = [];
    const open = XMLHttpRequest.prototype.open;
    XMLHttpRequest.prototype.open = function (m, u, ...rest) { window.pageRequests.push(`${m} ${u}`.split('?')[0]); return open.call(this, m, u, ...rest); };
    const f = window.fetch;
    window.fetch = (u, o) => { window.pageRequests.push(`${o?.method ?? 'GET'} ${u}`.split('?')[0]); return f(u, o); };
  });
  const page = await context.newPage();
  watchPage(page, stack);
  await page.goto(`${site.url}/client.html`);
  await page.waitForFunction(() => window.ready === true);
  cleanup.push(() => context.close());
  return page;
}

test("worker: true uploads 96 MiB with sha256 and leaves the main thread without a long task", async (t) => {
  const page = await openPage();
  const size = 96 * MIB + 4321;
  await page.evaluate(async (size) => { window.file = await window.t.diskFile('worker.bin', size, 1414); }, size);
  const opts = { endpoint: `${stack.signer}/s3`, token: TOKEN, checksum: 'sha256', worker: true };
  const r = await page.evaluate(async ({ token, ...opts }) => {
    // A function: the worker asks the page for the headers of each signer call.
    opts.headers = () => ({ Authorization: `Bearer ${token}` });
    window.pageRequests.length = 0;
    const long = [];
    const obs = new PerformanceObserver((l) => long.push(...l.getEntries().map((e) => Math.round(e.duration))));
    obs.observe({ type: 'longtask' });
    const up = new window.t.Uploader(opts);
    const progress = [];
    const u = up.upload(window.file, { relativePath: 'ünï/worker.bin', onProgress: (p) => progress.push(p.bytesSent) });
    const atOnce = u.fingerprint;
    const result = await u.done;
    long.push(...obs.takeRecords().map((e) => Math.round(e.duration)));
    obs.disconnect();
    up.free();
    return { result, long, progress, stats: u.stats, state: u.state, atOnce, fingerprint: u.fingerprint, pageRequests: window.pageRequests };
  }, opts);
  t.diagnostic(`long tasks on the main thread: ${JSON.stringify(r.long)}; page requests: ${r.pageRequests.length}; ${r.progress.length} progress events`);
  assert.deepEqual(r.long, [], 'no long task on the main thread');
  assert.deepEqual(r.pageRequests, [], 'the page itself sent no request: the worker did');
  assert.equal(r.state, 'done');
  assert.equal(r.progress.at(-1), size, 'progress reached the whole file');
  assert.ok(r.progress.length >= 2 && r.progress.every((b, i) => !i || b >= r.progress[i - 1]), `byte progress came from the worker, never backwards (${r.progress.length} events)`);
  assert.ok(r.stats.partsUploaded >= 12, `parts stored: ${JSON.stringify(r.stats)}`);
  // Known at once on the page (computed there), and the same as the worker's (Rust's).
  assert.match(r.atOnce ?? '', /^[0-9a-f]{16}-100667617$/);
  assert.equal(r.fingerprint, r.atOnce, "the page's fingerprint is the worker's");
  assert.equal(await stack.s3api.objectSha256(r.result.key), sha256(seededBytes(size, 1414)));
});
