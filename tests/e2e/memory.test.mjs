// The client's wasm memory with many files queued (issue 14's 10,000 files):
// it only grows (wasm memory never shrinks), so reading it mid-run gives the
// peak so far. Two things kept it high: every small file's form was signed
// and held at once (57.6 MiB for 10,000 files of 4 KiB), and the engine's
// file table grew by doubling a vector of whole file records (28.9 MiB).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { clientPage } from '../lib/harness.mjs';

const cleanup = [];
after(async () => { for (const f of cleanup.reverse()) await f(); });

test('10,000 queued small files: wasm memory stays under 24 MiB while the first 1,000 are stored', async () => {
  const { page, opts } = await clientPage(cleanup, {});
  const out = await page.evaluate(async ({ opts }) => {
    const mib = () => window.t.wasm.memory.buffer.byteLength / 1048576;
    const start = mib();
    const up = new window.t.Uploader(opts);
    const uploads = Array.from({ length: 10_000 }, (_, i) => up.upload(window.t.memoryFile(`m${i}.bin`, 1024, i), {}));
    const added = mib();
    let done = 0;
    await new Promise((ok, no) => {
      for (const u of uploads) u.done.then(() => { if (++done === 1000) ok(); }, no);
    });
    const peak = mib();
    for (const u of uploads) u.cancel();
    await Promise.allSettled(uploads.map((u) => u.done));
    return { start, added, peak, states: uploads.filter((u) => u.state === 'done').length };
  }, { opts });
  console.log(`wasm memory: ${out.start.toFixed(1)} MiB at start, ${out.added.toFixed(1)} after 10,000 upload() calls, ${out.peak.toFixed(1)} with 1,000 stored`);
  assert.ok(out.states >= 1000);
  assert.ok(out.peak < 24, `peak wasm memory ${out.peak.toFixed(1)} MiB`);
});
