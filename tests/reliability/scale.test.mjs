// Reliability (`just test`, `just test-reliability`): the signer killed
// mid-upload (a large file, and a batch of small ones), two stateless signer
// replicas (both serving, then one dying), and a 3-node Garage cluster losing
// a node during a 1 GiB upload.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { clientPage, seededBytes, sha256 } from '../lib/harness.mjs';

const MIB = 1024 * 1024;
const cleanup = [];
after(async () => { for (const f of cleanup.reverse()) await f(); });

async function setup(options) {
  const world = await clientPage(cleanup, options);
  return { ...world, opts: { ...world.opts, retry: { maxAttempts: 12, baseDelayMs: 200, maxDelayMs: 3000 } } };
}

/** Starts an upload of a seeded OPFS file; resolves once `parts` parts are stored. */
async function startUpload(page, opts, name, size, seed, parts) {
  await page.evaluate(async ({ opts, name, size, seed }) => {
    const file = await window.t.diskFile(name, size, seed);
    window.u = new window.t.Uploader(opts).upload(file, { onPartUploaded: () => { window.stored = (window.stored ?? 0) + 1; } });
    window.u.done.then((r) => { window.result = r; }, (e) => { window.failure = `${e.code}: ${e.message}`; });
  }, { opts, name, size, seed });
  await page.waitForFunction((n) => (window.stored ?? 0) >= n, parts, { timeout: 120_000 });
}

async function finish(page) {
  await page.waitForFunction(() => window.result || window.failure, null, { timeout: 300_000 });
  assert.equal(await page.evaluate(() => window.failure), undefined);
  return page.evaluate(() => window.result);
}

test('scenario C: the signer is killed and restarted mid-upload; nothing is lost', async () => {
  const { stack, page, opts } = await setup({});
  const size = 300 * MIB;
  await startUpload(page, opts, 'c.bin', size, 77, 5);
  await stack.command('kill-signer');
  await new Promise((r) => setTimeout(r, 2500));
  await stack.command('restart-signer');
  const result = await finish(page);
  assert.equal(await stack.s3api.objectSha256(result.key), sha256(seededBytes(size, 77)));
  assert.equal(await stack.s3api.incompleteUploads(), 0);
});

test('the signer is killed and restarted during 40 small uploads; each file is stored once, under the key it reported', async () => {
  // The store answers after 200 ms, so the uploads are still running when the signer dies.
  const { stack, page, opts } = await setup({ faultStore: 'latency=200' });
  const files = 40;
  await page.evaluate(({ opts, files }) => {
    const up = new window.t.Uploader(opts);
    window.finished = 0;
    window.results = Promise.all(Array.from({ length: files }, (_, i) => up.upload(window.t.memoryFile(`kill-${i}.txt`, 3000 + i, 500 + i, 'text/plain'), {})
      .done.then((r) => ({ key: r.key, confirmed: r.confirmed }), (e) => ({ error: `${e.code}: ${e.message}` }))
      .finally(() => { window.finished += 1; })));
  }, { opts, files });
  await page.waitForFunction(() => window.finished >= 5, null, { timeout: 60_000 });
  await stack.command('kill-signer');
  const atKill = await page.evaluate(() => window.finished);
  await new Promise((r) => setTimeout(r, 2500));
  await stack.command('restart-signer');
  const results = await page.evaluate(() => window.results);
  assert.ok(atKill < files, `uploads were still running when the signer died (${atKill} of ${files} done)`);
  assert.deepEqual(results.filter((r) => r.error), [], 'every upload resolves');
  assert.deepEqual(results.filter((r) => !r.confirmed).map((r) => r.key), [], 'every stored file is confirmed (its webhook fires) once the signer is back');
  const stored = (await stack.s3api.list('uploads/alice/')).filter((o) => /\/kill-\d+\.txt$/.test(o.key)).map((o) => o.key);
  assert.deepEqual(stored.sort(), results.map((r) => r.key).sort(), 'one object per file, each under the key its upload reported');
  for (const [i, r] of results.entries()) {
    assert.equal(await stack.s3api.objectSha256(r.key), sha256(seededBytes(3000 + i, 500 + i)), `file ${i}`);
  }
});

test('two signer replicas behind round robin: a 1 GiB upload alternates between them and completes', async () => {
  const { stack, page, opts } = await setup({ replicas: 2 });
  const size = 1024 * MIB;
  await startUpload(page, { ...opts, concurrency: 6 }, 'r.bin', size, 88, 1);
  const result = await finish(page);
  assert.equal(await stack.s3api.objectSha256(result.key), sha256(seededBytes(size, 88)));
  const served = [];
  for (const url of stack.replicas) {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const n = [...metrics.matchAll(/^s3lift_http_requests_total\{[^}]*route="\/s3[^"]*"[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
    served.push(n);
  }
  console.log(`# replicas served ${served.join(' and ')} signer requests`);
  assert.ok(served.every((n) => n >= 3), `both replicas served the upload: ${served}`);
});

test('one of two signer replicas dies mid-upload; the other serves the rest of a large file and 20 small ones', async () => {
  const { stack, page, opts } = await setup({ replicas: 2 });
  let failedSignerCalls = 0;
  page.on('requestfailed', (r) => { if (r.url().startsWith(stack.signer)) failedSignerCalls += 1; });
  const size = 300 * MIB;
  await startUpload(page, opts, 'f.bin', size, 66, 3);
  await stack.command('kill-signer 1');
  const small = await page.evaluate(async ({ opts }) => {
    const up = new window.t.Uploader(opts);
    return Promise.all(Array.from({ length: 20 }, (_, i) => up.upload(window.t.memoryFile(`failover-${i}.txt`, 1000 + i, 600 + i, 'text/plain'), {})
      .done.then((r) => ({ key: r.key, confirmed: r.confirmed }), (e) => ({ error: `${e.code}: ${e.message}` }))));
  }, { opts });
  const result = await finish(page);
  // Round robin sends every other call to the dead replica: the client saw those fail.
  assert.ok(failedSignerCalls >= 1, 'calls to the dead replica failed');
  assert.equal(await stack.s3api.objectSha256(result.key), sha256(seededBytes(size, 66)));
  assert.equal(await stack.s3api.incompleteUploads(), 0);
  assert.deepEqual(small.filter((r) => r.error || !r.confirmed), [], 'every small file resolves confirmed');
  const stored = (await stack.s3api.list('uploads/alice/')).filter((o) => /\/failover-\d+\.txt$/.test(o.key)).map((o) => o.key);
  assert.deepEqual(stored.sort(), small.map((r) => r.key).sort(), 'one object per small file');
  for (const [i, r] of small.entries()) assert.equal(await stack.s3api.objectSha256(r.key), sha256(seededBytes(1000 + i, 600 + i)));
});

test('a 3-node Garage cluster loses a node during a 1 GiB upload; the upload completes and the cluster heals', async () => {
  const { stack, page, opts } = await setup({ cluster: 3 });
  const size = 1024 * MIB;
  await startUpload(page, opts, 'g.bin', size, 99, 10);
  await stack.command('kill-node 2');
  const down = await stack.garage('status');
  assert.match(down, /failed|unavailable|DOWN/i, `the killed node shows as down:\n${down}`);
  const result = await finish(page);
  assert.equal(await stack.s3api.objectSha256(result.key), sha256(seededBytes(size, 99)));
  await stack.command('restart-node 2');
  let status = '';
  for (let i = 0; i < 60; i++) {
    status = await stack.garage('status');
    // Healthy again: all three nodes connected and reporting their version.
    if (!/failed|unavailable|DOWN/i.test(status) && (status.match(/cargo:2\.5\.0/g) ?? []).length === 3) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.doesNotMatch(status, /failed|unavailable|DOWN/i, status);
  assert.equal((status.match(/cargo:2\.5\.0/g) ?? []).length, 3, status);
  console.log(`# cluster status after healing:\n${status.split('\n').map((l) => `#   ${l}`).join('\n')}`);
  const repair = await stack.garage('repair --all-nodes --yes tables');
  assert.doesNotMatch(repair, /error/i, repair);
  assert.equal(await stack.s3api.objectSha256(result.key), sha256(seededBytes(size, 99)), 'still byte-exact after healing');
});
