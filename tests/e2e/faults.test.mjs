// Reliability scenarios A and B (issue 5), with fixed seeds: faults injected
// between the browser and the store and between the browser and the signer,
// and a reload in the middle of a large upload. Nothing may be lost.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { clientPage, seededBytes, sha256, TOKEN } from '../lib/harness.mjs';

const MIB = 1024 * 1024;
const KIB = 1024;
const cleanup = [];
after(async () => { for (const f of cleanup.reverse()) await f(); });

const setup = (options) => clientPage(cleanup, options);

test('scenario A: 20 uploads through 10 % faulted part PUTs and 5 % faulted signer calls all complete intact', async () => {
  const { stack, page } = await setup({ faultStore: 'seed=42,rate=0.10,methods=PUT+POST', faultSigner: 'seed=7,rate=0.05' });
  const sizes = [1 * KIB, 5 * KIB, 64 * KIB, 300 * KIB, 1 * MIB, 3 * MIB, 7 * MIB, 9 * MIB, 12 * MIB, 17 * MIB,
    24 * MIB, 33 * MIB, 40 * MIB, 48 * MIB, 64 * MIB, 80 * MIB, 100 * MIB, 128 * MIB, 200 * MIB, 300 * MIB];
  const opts = {
    endpoint: `${stack.signer}/s3`, headers: { Authorization: `Bearer ${TOKEN}` },
    stallTimeoutMs: 10000, retry: { maxAttempts: 12, baseDelayMs: 100, maxDelayMs: 2000 },
  };
  const started = Date.now();
  const results = await page.evaluate(async ({ opts, sizes }) => {
    const up = new window.t.Uploader(opts);
    const uploads = [];
    for (const [i, size] of sizes.entries()) {
      // Large files are on disk (OPFS), like picked files: the browser caps in-memory Blobs in total.
      const file = size >= 32 * 1024 * 1024 ? await window.t.diskFile(`a${i}.bin`, size, 1000 + i) : window.t.memoryFile(`a${i}.bin`, size, 1000 + i);
      uploads.push(up.upload(file, {}));
    }
    return Promise.all(uploads.map((u) => u.done.then((r) => ({ key: r.key, resent: u.stats.bytesResent, requests: u.stats.partRequests }),
      (e) => ({ error: `${e.code}: ${e.message}` }))));
  }, { opts, sizes });
  const seconds = (Date.now() - started) / 1000;
  const failed = results.map((r, i) => ({ ...r, size: sizes[i] })).filter((r) => r.error);
  assert.deepEqual(failed, [], 'every upload completes');
  for (const [i, size] of sizes.entries()) {
    assert.equal(await stack.s3api.objectSha256(results[i].key), sha256(seededBytes(size, 1000 + i)), `upload ${i} (${size} bytes)`);
  }
  assert.equal(await stack.s3api.incompleteUploads(), 0, 'no incomplete multipart upload is left');
  const stats = await stack.faultStats();
  assert.ok(stats.store.faults >= 5 && stats.signer.faults >= 1, `faults were injected: ${JSON.stringify(stats)}`);
  const ideal = sizes.reduce((a, b) => a + b, 0);
  const resent = results.reduce((a, r) => a + r.resent, 0);
  const ratio = (ideal + resent) / ideal;
  console.log(`# scenario A: ${(ideal / MIB).toFixed(0)} MiB in ${seconds.toFixed(1)} s; faults injected: store ${stats.store.faults}/${stats.store.requests}, signer ${stats.signer.faults}/${stats.signer.requests}; bytes sent / ideal = ${ratio.toFixed(3)}`);
  assert.ok(ratio <= 1.2, `re-sent bytes ratio ${ratio.toFixed(3)} (goal ≤ 1.2)`);
});

test('scenario B: a reload in the middle of a 500 MiB upload re-sends at most concurrency × part size', async () => {
  const { stack, page } = await setup({});
  const size = 500 * MIB;
  const partSize = 8 * MIB;
  const concurrency = 6;
  let partPuts = 0;
  page.on('request', (r) => { if (r.method() === 'PUT' && r.url().includes('partNumber=')) partPuts += 1; });
  const opts = { endpoint: `${stack.signer}/s3`, headers: { Authorization: `Bearer ${TOKEN}` }, concurrency };
  await page.evaluate(async ({ opts, size }) => {
    const file = await window.t.diskFile('b.bin', size, 2024);
    window.u = new window.t.Uploader(opts).upload(file, { onPartUploaded: () => { window.stored = (window.stored ?? 0) + 1; } });
  }, { opts, size });
  await page.waitForFunction(() => (window.stored ?? 0) >= 25, null, { timeout: 120_000 });
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  const out = await page.evaluate(async ({ opts, size }) => {
    const file = await window.t.diskFile('b.bin', size, 2024);
    const u = new window.t.Uploader(opts).upload(file, {});
    const r = await u.done;
    return { key: r.key, resumed: u.resumed };
  }, { opts, size });
  assert.equal(out.resumed, true);
  const parts = Math.ceil(size / partSize);
  const resentBytes = (partPuts - parts) * partSize;
  console.log(`# scenario B: ${partPuts} part PUTs for ${parts} parts; re-sent at most ${(resentBytes / MIB).toFixed(0)} MiB (limit ${concurrency * partSize / MIB} MiB)`);
  assert.ok(resentBytes <= concurrency * partSize, `re-sent ${resentBytes} bytes`);
  assert.equal(await stack.s3api.objectSha256(out.key), sha256(seededBytes(size, 2024)));
  assert.equal(await stack.s3api.incompleteUploads(), 0);
});
