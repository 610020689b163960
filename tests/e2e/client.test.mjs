// The wasm client in headless Chromium against the real signer and Garage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, watchPage, seededBytes, sha256, TOKEN, noSuchRoute } from '../lib/harness.mjs';

const MIB = 1024 * 1024;
let stack, site, browser;
const cleanup = [];

before(async () => {
  ({ stack, site, browser } = await startWorld(cleanup));
});

after(async () => { for (const f of cleanup.reverse()) await f(); });

/** A fresh browser context (its own localStorage and OPFS) on the test page. */
async function openPage(ctx) {
  const context = ctx ?? (await browser.newContext());
  const page = await context.newPage();
  watchPage(page, stack);
  await page.goto(`${site.url}/client.html`);
  await page.waitForFunction(() => window.ready === true);
  return { context, page };
}

/** Records part PUTs seen by the browser: count, and the most in flight at once. */
function watchParts(page) {
  const seen = { puts: 0, statuses: [], active: 0, maxActive: 0, partNumbers: [] };
  page.on('request', (r) => {
    if (r.method() === 'PUT' && r.url().includes('partNumber=')) {
      seen.puts += 1;
      seen.active += 1;
      seen.maxActive = Math.max(seen.maxActive, seen.active);
      seen.partNumbers.push(Number(new URL(r.url()).searchParams.get('partNumber')));
    }
  });
  const done = async (r) => {
    if (r.method() === 'PUT' && r.url().includes('partNumber=')) {
      seen.active -= 1;
      const res = await r.response().catch(() => null);
      seen.statuses.push(res ? res.status() : 0);
    }
  };
  page.on('requestfinished', done);
  page.on('requestfailed', done);
  return seen;
}

const signerOpts = () => ({ endpoint: `${stack.signer}/s3`, headers: { Authorization: `Bearer ${TOKEN}` } });

test('a 200 MiB upload is byte-exact, with parts really in parallel', async () => {
  const { context, page } = await openPage();
  const seen = watchParts(page);
  const size = 200 * MIB + 12345;
  const result = await page.evaluate(async ({ opts, size }) => {
    const file = window.t.memoryFile('big.bin', size, 7);
    const up = new window.t.Uploader(opts);
    const updates = [];
    const u = up.upload(file, { onProgress: (p) => updates.push(p) });
    const r = await u.done;
    return { ...r, updates, stats: u.stats, state: u.state };
  }, { opts: signerOpts(), size });
  assert.equal(result.state, 'done');
  // docs/protocol.md: `<prefix>/<caller>/<uuid>.<tag>/<name>` (issue 12: authenticated plans in keys).
  assert.match(result.key, /^uploads\/alice\/[0-9a-f-]{36}\.[0-9a-f]{32}\/big\.bin$/);
  assert.equal(await stack.s3api.objectSha256(result.key), sha256(seededBytes(size, 7)));
  const parts = Math.ceil(size / (8 * MIB));
  assert.equal(seen.puts, parts, 'each part sent once');
  assert.ok(seen.maxActive >= 4, `parts overlap in time (max ${seen.maxActive} in flight)`);
  const sent = result.updates.map((p) => p.bytesSent);
  assert.ok(sent.every((b, i) => i === 0 || b >= sent[i - 1]), 'progress never goes back without faults');
  assert.equal(sent.at(-1), size, 'the last update is the whole file');
  assert.ok(result.updates.every((p) => p.totalBytes === size && p.bytesSent <= size));
  assert.equal(result.stats.partsUploaded, parts);
  assert.equal(await stack.s3api.incompleteUploads(), 0);
  await context.close();
});

test('the fetch transport uploads byte-exact too, and small files go in one request', async () => {
  const { context, page } = await openPage();
  const out = await page.evaluate(async ({ opts }) => {
    const up = new window.t.Uploader({ ...opts, transport: 'fetch' });
    const big = up.upload(window.t.memoryFile('f.bin', 30 * 1024 * 1024 + 3, 11), {});
    const small = up.upload(window.t.memoryFile('s.txt', 70_000, 12, 'text/plain'), {});
    return [await big.done, await small.done];
  }, { opts: signerOpts() });
  assert.equal(await stack.s3api.objectSha256(out[0].key), sha256(seededBytes(30 * MIB + 3, 11)));
  assert.equal(await stack.s3api.objectSha256(out[1].key), sha256(seededBytes(70_000, 12)));
  assert.ok(out[1].etag, 'the single request returns the ETag');
  await context.close();
});

test('pause stops the parts, resume completes without re-sending stored parts; onStateChange hears each state', async () => {
  const { context, page } = await openPage();
  const seen = watchParts(page);
  const size = 120 * MIB;
  await page.evaluate(async ({ opts, size }) => {
    const up = new window.t.Uploader({ ...opts, concurrency: 3 });
    window.states = [];
    window.u = up.upload(window.t.memoryFile('p.bin', size, 21), {
      onPartUploaded: () => { window.stored = (window.stored ?? 0) + 1; },
      onStateChange: (s) => window.states.push(s),
    });
    window.u.done.then((r) => { window.result = r; }, (e) => { window.failure = e.code; });
  }, { opts: signerOpts(), size });
  await page.waitForFunction(() => (window.stored ?? 0) >= 3);
  await page.evaluate(() => window.u.pause());
  assert.equal(await page.evaluate(() => window.u.state), 'paused');
  const putsAtPause = seen.puts;
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(seen.puts, putsAtPause, 'no new part requests while paused');
  await page.evaluate(() => window.u.resume());
  await page.waitForFunction(() => window.result || window.failure, null, { timeout: 120_000 });
  const result = await page.evaluate(() => window.result);
  assert.ok(result, 'completed after resume');
  assert.equal(await stack.s3api.objectSha256(result.key), sha256(seededBytes(size, 21)));
  const stored = await page.evaluate(() => window.stored);
  assert.equal(stored, 15, 'every part stored exactly once');
  assert.deepEqual(await page.evaluate(() => window.states), ['uploading', 'paused', 'uploading', 'done']);
  await context.close();
});

test('cancel aborts the multipart upload: nothing incomplete is left in Garage; onStateChange hears "cancelled" before done rejects', async () => {
  const { context, page } = await openPage();
  const before = await stack.s3api.incompleteUploads();
  const code = await page.evaluate(async ({ opts }) => {
    const up = new window.t.Uploader(opts);
    let parts = 0;
    const states = [];
    const u = up.upload(window.t.memoryFile('c.bin', 100 * 1024 * 1024, 3), {
      onPartUploaded: () => { parts += 1; if (parts === 2) u.cancel(); },
      onStateChange: (s) => states.push(s),
    });
    try { await u.done; return 'completed'; } catch (e) { return `${e.code}:${u.state}:${states}`; }
  }, { opts: signerOpts() });
  assert.equal(code, 'cancelled:cancelled:uploading,cancelled');
  // The abort is sent before `done` settles.
  assert.equal(await stack.s3api.incompleteUploads(), before);
  await context.close();
});

test('an AbortSignal cancels: aborted mid-upload (the multipart upload is aborted too), or aborted already', async () => {
  const { context, page } = await openPage();
  const before = await stack.s3api.incompleteUploads();
  const codes = await page.evaluate(async ({ opts }) => {
    const up = new window.t.Uploader(opts);
    const c = new AbortController();
    let parts = 0;
    const u = up.upload(window.t.memoryFile('s.bin', 100 * 1024 * 1024, 4), {
      signal: c.signal,
      onPartUploaded: () => { parts += 1; if (parts === 2) c.abort(); },
    });
    const ended = (v) => v.done.then(() => 'completed', (e) => `${e.code}:${v.state}`);
    const mid = await ended(u);
    const gone = new AbortController();
    gone.abort();
    const early = await ended(up.upload(window.t.memoryFile('t.bin', 1024, 5), { signal: gone.signal }));
    return [mid, early];
  }, { opts: signerOpts() });
  assert.deepEqual(codes, ['cancelled:cancelled', 'cancelled:cancelled']);
  assert.equal(await stack.s3api.incompleteUploads(), before);
  await context.close();
});

test('a reload mid-upload resumes through ListParts without re-sending stored parts', async () => {
  const context = await browser.newContext();
  let { page } = await openPage(context);
  const size = 160 * MIB;
  const parts = size / (8 * MIB);
  let seen = watchParts(page);
  await page.evaluate(async ({ opts, size }) => {
    const file = await window.t.diskFile('reload.bin', size, 5);
    const up = new window.t.Uploader({ ...opts, concurrency: 2 });
    window.u = up.upload(file, { onPartUploaded: () => { window.stored = (window.stored ?? 0) + 1; } });
  }, { opts: signerOpts(), size });
  await page.waitForFunction(() => (window.stored ?? 0) >= 6);
  const storedBefore = await page.evaluate(() => window.stored);
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  seen = watchParts(page);
  const out = await page.evaluate(async ({ opts, size }) => {
    const file = await window.t.diskFile('reload.bin', size, 5);
    const up = new window.t.Uploader(opts);
    const u = up.upload(file, {});
    const r = await u.done;
    return { r, resumed: u.resumed };
  }, { opts: signerOpts(), size });
  assert.equal(out.resumed, true, 'the upload continued the earlier one');
  assert.ok(seen.puts <= parts - storedBefore, `after the reload ${seen.puts} PUTs for ${parts - storedBefore} missing parts`);
  assert.equal(await stack.s3api.objectSha256(out.r.key), sha256(seededBytes(size, 5)));
  assert.equal(await stack.s3api.incompleteUploads(), 0);
  await context.close();
});

test('a progress bar moves within a single part on a throttled network', async () => {
  const { context, page } = await openPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 2 * MIB });
  const out = await page.evaluate(async ({ opts }) => {
    const up = new window.t.Uploader({ ...opts, multipartThreshold: 1 });
    const updates = [];
    const u = up.upload(window.t.memoryFile('slow.bin', 8 * 1024 * 1024, 9), { onProgress: (p) => updates.push(p.bytesSent) });
    const r = await u.done;
    return { r, updates };
  }, { opts: signerOpts() });
  const during = out.updates.filter((b) => b > 0 && b < 8 * MIB);
  assert.ok(during.length >= 8, `${during.length} progress updates inside the one 8 MiB part`);
  await context.close();
});

test('page memory stays under 64 MiB during a 1 GiB upload from disk', async () => {
  const { context, page } = await openPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const size = 1024 * MIB;
  await page.evaluate(async ({ size }) => { window.file = await window.t.diskFile('gig.bin', size, 99); }, { size });
  const sample = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    const heap = metrics.find((m) => m.name === 'JSHeapUsedSize').value;
    const wasm = await page.evaluate(() => window.t.wasm.memory.buffer.byteLength);
    return heap + wasm;
  };
  await page.evaluate(({ opts }) => {
    window.u = new window.t.Uploader(opts).upload(window.file, {});
    window.u.done.then((r) => { window.result = r; }, (e) => { window.failure = `${e.code}: ${e.message}`; });
  }, { opts: signerOpts() });
  let peak = 0;
  while (!(await page.evaluate(() => window.result || window.failure))) {
    peak = Math.max(peak, await sample());
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await page.evaluate(() => window.failure), undefined);
  const key = await page.evaluate(() => window.result.key);
  console.log(`# 1 GiB upload: peak JS heap + wasm memory ${(peak / MIB).toFixed(1)} MiB`);
  assert.ok(peak < 64 * MIB, `peak ${(peak / MIB).toFixed(1)} MiB`);
  assert.equal(await stack.s3api.objectSha256(key), sha256(seededBytes(size, 99)));
  await context.close();
});

test('small files fall back to one GET /s3/params each when the signer has no batch route (Companion)', async () => {
  const { context, page } = await openPage();
  let batchCalls = 0;
  let singleCalls = 0;
  await page.route('**/s3/params*', (route) => {
    if (route.request().method() === 'POST') { batchCalls += 1; return noSuchRoute(route); }
    if (route.request().method() === 'GET') singleCalls += 1;
    return route.continue();
  });
  const keys = await page.evaluate(async ({ opts }) => {
    const up = new window.t.Uploader(opts);
    const files = [1, 2, 3, 4].map((i) => window.t.memoryFile(`c${i}.txt`, 1000 * i, 40 + i, 'text/plain'));
    return Promise.all(files.map((f) => up.upload(f, {}).done.then((r) => r.key)));
  }, { opts: signerOpts() });
  assert.ok(batchCalls >= 1, 'the batch route was tried');
  assert.equal(singleCalls, 4, 'then each file asked on its own');
  for (const [i, key] of keys.entries()) assert.equal(await stack.s3api.objectSha256(key), sha256(seededBytes(1000 * (i + 1), 41 + i)));
  await context.close();
});

test('an upload goes on when the app drops its handles at once (started, or waiting for its Web Lock)', async () => {
  // `free()` is what the FinalizationRegistry does once a page keeps only `done`:
  // here it happens before the end of the turn, deterministically. A single-request
  // file starts at once (it needs no lock); a multipart one waits for its lock first.
  const { context, page } = await openPage();
  for (const [size, seed] of [[6 * MIB + 5, 41], [9 * MIB, 42]]) {
    const result = await page.evaluate(async ({ opts, size, seed }) => {
      const up = new window.t.Uploader(opts);
      const u = up.upload(window.t.memoryFile(`dropped-handles-${seed}.bin`, size, seed));
      const done = u.done;
      u.free();
      up.free();
      const timeout = new Promise((_, no) => setTimeout(() => no(new Error(`done never settled (${size} B)`)), 30_000));
      return Promise.race([done, timeout]);
    }, { opts: signerOpts(), size, seed });
    assert.equal(await stack.s3api.objectSha256(result.key), sha256(seededBytes(size, seed)));
  }
  await context.close();
});

for (const worker of [false, true]) {
  test(`callbacks that throw do not stop the uploads: each error is reported, every file is stored${worker ? ' (worker: true)' : ''}`, async () => {
    const { context, page } = await openPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const size = 20 * MIB + 7;
    const out = await page.evaluate(async ({ opts, size }) => {
      const up = new window.t.Uploader({ ...opts, worker: opts.worker });
      const boom = (what) => () => { throw new Error(`app bug in ${what}`); };
      const callbacks = { onProgress: boom('onProgress'), onPartUploaded: boom('onPartUploaded'), onStateChange: boom('onStateChange') };
      const uploads = [
        up.upload(window.t.memoryFile('big.bin', size, 51), callbacks),
        up.upload(window.t.memoryFile('small.txt', 3000, 52, 'text/plain'), callbacks),
      ];
      // Without the guard the driver stalls: fail after 60 s instead of hanging.
      const stalled = new Promise((_, no) => setTimeout(() => no(new Error(`stalled: ${uploads.map((u) => u.state)}`)), 60_000));
      return Promise.race([Promise.all(uploads.map((u) => u.done)), stalled]);
    }, { opts: { ...signerOpts(), worker }, size });
    assert.equal(await stack.s3api.objectSha256(out[0].key), sha256(seededBytes(size, 51)));
    assert.equal(await stack.s3api.objectSha256(out[1].key), sha256(seededBytes(3000, 52)));
    for (const what of ['onProgress', 'onPartUploaded', 'onStateChange']) {
      assert.ok(errors.some((m) => m.includes(`app bug in ${what}`)), `${what}'s error reaches the page: ${errors.slice(0, 3)}`);
    }
    await context.close();
  });
}

for (const worker of [false, true]) {
  test(`upload.restarted is null, as its type says, until a changed file starts over; the result says the same${worker ? ' (worker: true)' : ''}`, async () => {
    const { context, page } = await openPage();
    const out = await page.evaluate(async ({ opts }) => {
      const up = new window.t.Uploader(opts);
      const uploads = [up.upload(window.t.memoryFile('one.txt', 3000, 61, 'text/plain'), {}), up.upload(window.t.memoryFile('parts.bin', 12 * 1024 * 1024, 62), {})];
      const at = uploads.map((u) => u.restarted);
      const results = await Promise.all(uploads.map((u) => u.done));
      return { at, after: uploads.map((u) => u.restarted), results: results.map((r) => r.restarted) };
    }, { opts: { ...signerOpts(), worker } });
    assert.deepEqual(out, { at: [null, null], after: [null, null], results: [null, null] });
    await context.close();
  });
}

// pause() then resume() (or cancel()) back to back, in one turn or across a microtask: onStateChange
// hears every state `upload.state` said, 'paused' included, in order, the same on the page and in the
// worker. Before, the driver told a state at the end of the turn and only if it differed from the last
// one told, so a pause undone in the same turn was never told (in the worker: calls that reached it
// while its module loaded ran in one turn there).
for (const worker of [false, true]) {
  test(`pause() then resume() or cancel() at once: onStateChange hears 'paused' in between${worker ? ' (worker: true)' : ''}`, async () => {
    const { context, page } = await openPage();
    const out = await page.evaluate(async ({ opts }) => {
      const MIB = 1024 * 1024;
      const run = async (name, seed, between, last = 'resume', o = {}) => {
        // Each state told, with what `upload.state` says by then.
        const told = [];
        let started;
        const uploading = new Promise((r) => { started = r; });
        // A fresh uploader each time: with `worker: true`, a fresh worker.
        const u = new window.t.Uploader({ ...opts, concurrency: 2, partSize: 5 * MIB, ...o }).upload(window.t.memoryFile(`${name}.bin`, 12 * MIB, seed), {
          onStateChange: (s) => { told.push([s, u.state]); if (s === 'uploading') started(); },
        });
        // 'fresh…': at once, before the upload was told anything (before the worker has loaded).
        if (!name.startsWith('fresh')) await uploading;
        u.pause();
        const seen = [u.state];
        if (between === 'microtask') await null;
        u[last]();
        seen.push(u.state);
        const end = await u.done.then(() => 'done', (e) => e.code);
        return { told, seen, end };
      };
      return {
        tick: await run('tick', 61),
        microtask: await run('microtask', 62, 'microtask'),
        cancel: await run('cancel', 63, null, 'cancel'),
        fresh: await run('fresh', 64),
        // No resume record, so no Web Lock: 'uploading' at once, and told before 'paused'.
        freshNoLock: await run('fresh-nolock', 65, null, 'resume', { resume: false }),
      };
    }, { opts: { ...signerOpts(), worker } });
    const states = (r) => r.told.map(([s]) => s);
    // Told after resume() returned: `upload.state` says 'uploading' by then (the worker's mirror
    // said its 'paused' of a moment before again).
    assert.deepEqual(out.tick.told, [['uploading', 'uploading'], ['paused', 'uploading'], ['uploading', 'uploading'], ['done', 'done']], JSON.stringify(out.tick));
    assert.deepEqual(out.tick.seen, ['paused', 'uploading']);
    // Across a microtask the page tells 'paused' before resume(), the worker after it: states only.
    assert.deepEqual(states(out.microtask), ['uploading', 'paused', 'uploading', 'done'], JSON.stringify(out.microtask));
    assert.deepEqual(out.microtask.seen, ['paused', 'uploading']);
    // cancel() says 'cancelled' at once (the mirror kept 'paused' until the worker's answer).
    assert.deepEqual(out.cancel.told, [['uploading', 'uploading'], ['paused', 'cancelled'], ['cancelled', 'cancelled']], JSON.stringify(out.cancel));
    assert.deepEqual(out.cancel.seen, ['paused', 'cancelled']);
    assert.equal(out.cancel.end, 'cancelled');
    // Paused and resumed while it waits for its Web Lock: back to 'queued', then it starts.
    assert.deepEqual(states(out.fresh), ['paused', 'queued', 'uploading', 'done'], JSON.stringify(out.fresh));
    assert.deepEqual(states(out.freshNoLock), ['uploading', 'paused', 'uploading', 'done'], JSON.stringify(out.freshNoLock));
    for (const r of [out.tick, out.microtask, out.fresh, out.freshNoLock]) assert.equal(r.end, 'done');
    await context.close();
  });
}
