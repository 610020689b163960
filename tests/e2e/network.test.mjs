// Flaky networks and several tabs (issue 14), with a real signer and Garage:
// going offline pauses an upload without burning retries and `online`
// resumes it; two tabs never run the same upload.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { clientPage, seededBytes, sha256 } from '../lib/harness.mjs';

const MIB = 1024 * 1024;
const cleanup = [];
after(async () => { for (const f of cleanup.reverse()) await f(); });

/** Cuts (or restores) the network of `page` the way a lost Wi-Fi does: CDP's
 *  emulation fails requests, and `setOffline` also fires `offline`/`online`. */
async function network(context, cdp, online) {
  await cdp.send('Network.emulateNetworkConditions', { offline: !online, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await context.setOffline(!online);
}

// Each runs on the page and, with `worker: true`, in the client's Web Worker (its own `online`/`offline` events and Web Locks).
for (const worker of [false, true]) test(`offline pauses a multipart upload with no retry burned, online resumes it, byte-exact; onStateChange hears each state${worker ? ' (worker: true)' : ''}`, async () => {
  const { stack, context, page, opts } = await clientPage(cleanup, {});
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const size = 160 * MIB;
  const seed = 1414;
  // Three attempts at 50-100 ms apart: without offline handling, the parts
  // cut by the outage would use them all up within a second.
  const options = { ...opts, worker, concurrency: 2, partSize: 5 * MIB, retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 100 } };
  await page.evaluate(async ({ options, size, seed }) => {
    const file = await window.t.diskFile('offline.bin', size, seed);
    window.progress = [];
    // Each call with what `upload.state` says by then.
    window.states = [];
    window.u = new window.t.Uploader(options).upload(file, {
      onPartUploaded: () => { window.stored = (window.stored ?? 0) + 1; },
      onProgress: (p) => window.progress.push(p.bytesSent),
      onStateChange: (s) => window.states.push([s, window.u.state]),
    });
    window.outcome = window.u.done.then((r) => ({ key: r.key }), (e) => ({ error: `${e.code}: ${e.message}` }));
  }, { options, size, seed });
  await page.waitForFunction(() => (window.stored ?? 0) >= 2, null, { timeout: 60_000 });

  await network(context, cdp, false);
  // Paused for the network, or (without offline handling) failed.
  await page.waitForFunction(() => window.u.state !== 'uploading', null, { timeout: 10_000 });
  const state = await page.evaluate(async () => ({ state: window.u.state, stats: { ...window.u.stats },
    outcome: window.u.state === 'failed' ? await window.outcome : null }));
  assert.equal(state.state, 'offline', JSON.stringify(state));
  const during = await page.evaluate(() => ({ ...window.u.stats }));
  assert.equal(during.retries, 0, `parts cut by the outage count no retry: ${JSON.stringify(during)}`);
  // The outage lasts 20 times the whole retry budget; the upload must
  // neither fail nor send anything meanwhile.
  const outage = await page.evaluate(() => Promise.race([
    window.outcome.then((o) => ({ ended: o })),
    new Promise((resolve) => setTimeout(() => resolve({ state: window.u.state, stats: { ...window.u.stats } }), 3000)),
  ]));
  assert.equal(outage.ended, undefined, `the upload ended while offline: ${JSON.stringify(outage.ended)}`);
  assert.equal(outage.state, 'offline');
  assert.equal(outage.stats.retries, 0);
  assert.equal(outage.stats.partRequests, during.partRequests, 'no part request starts while offline');

  await network(context, cdp, true);
  // Back online, the upload goes on (it waits for no timer: the `online` event resumes it).
  await page.waitForFunction(() => window.u.state !== 'offline', null, { timeout: 30_000 });
  const out = await page.evaluate(() => window.outcome);
  assert.equal(out.error, undefined, out.error);
  const after = await page.evaluate(() => ({ stats: { ...window.u.stats }, state: window.u.state, progress: window.progress }));
  assert.equal(after.state, 'done');
  assert.equal(after.stats.retries, 0, `no retry was counted: ${JSON.stringify(after.stats)}`);
  assert.ok(after.stats.partRequests > during.partRequests, 'the parts went out again once online');
  const back = after.progress.findIndex((b, i) => i > 0 && b < after.progress[i - 1]);
  assert.equal(back, -1, `progress went backwards at report ${back}`);
  assert.equal(await stack.s3api.objectSha256(out.key), sha256(seededBytes(size, seed)));
  assert.equal(await stack.s3api.incompleteUploads(), 0);
  // Told each change, with the state the getter says, before `done` settled.
  const states = await page.evaluate(() => window.states);
  assert.deepEqual(states.map(([s]) => s), ['uploading', 'offline', 'uploading', 'done'], JSON.stringify(states));
  for (const [told, getter] of states) assert.equal(getter, told, JSON.stringify(states));
});

for (const worker of [false, true]) test(`two tabs never run the same upload: the second waits "in another tab", then takes over from the stored parts${worker ? ' (worker: true)' : ''}`, async () => {
  const { stack, site, context, page: first, opts } = await clientPage(cleanup, {});
  const size = 120 * MIB;
  const seed = 1415;
  const options = { ...opts, worker, concurrency: 2, partSize: 5 * MIB };
  const start = (tab) => tab.evaluate(async ({ options, size, seed }) => {
    // Same origin, same file on disk: the same resume fingerprint.
    const file = await window.t.diskFile('two-tabs.bin', size, seed);
    window.states = [];
    window.u = new window.t.Uploader(options).upload(file, {
      onPartUploaded: () => { window.stored = (window.stored ?? 0) + 1; },
      onStateChange: (s) => window.states.push(s),
    });
    window.outcome = window.u.done.then((r) => ({ key: r.key }), (e) => ({ error: `${e.code}: ${e.message}` }));
  }, { options, size, seed });
  await start(first);
  await first.waitForFunction(() => (window.stored ?? 0) >= 2, null, { timeout: 60_000 });

  const second = await context.newPage();
  await second.goto(`${site.url}/client.html`);
  await second.waitForFunction(() => window.ready === true);
  await start(second);
  await second.waitForFunction(() => window.u.state !== 'queued', null, { timeout: 10_000 });
  assert.equal(await second.evaluate(() => window.u.state), 'another-tab', 'the second tab waits on the first');
  assert.deepEqual(await second.evaluate(() => window.states), ['another-tab']);
  // The first tab keeps going meanwhile, and the second sends nothing.
  const stored = await first.evaluate(() => window.stored);
  await first.waitForFunction((n) => window.stored >= n + 2, stored, { timeout: 60_000 });
  assert.equal(await first.evaluate(() => window.u.state), 'uploading');
  assert.equal(await second.evaluate(() => window.u.stats.partRequests), 0, 'the second tab sent no part');
  assert.equal(await second.evaluate(() => window.u.state), 'another-tab');

  // The first tab closes mid-upload: the second takes over and finishes.
  const storedByFirst = await first.evaluate(() => window.stored);
  await first.close({ runBeforeUnload: false });
  const out = await second.evaluate(() => window.outcome);
  assert.equal(out.error, undefined, out.error);
  const after = await second.evaluate(() => ({ resumed: window.u.resumed, stats: { ...window.u.stats }, states: window.states }));
  assert.deepEqual(after.states, ['another-tab', 'uploading', 'done']);
  assert.equal(after.resumed, true, 'the second tab continued the first tab\'s upload');
  const parts = Math.ceil(size / (5 * MIB));
  assert.ok(after.stats.partRequests <= parts - storedByFirst + 2,
    `the second tab sent only what the store lacked: ${after.stats.partRequests} part requests, ${storedByFirst} of ${parts} stored before`);
  assert.equal(await stack.s3api.objectSha256(out.key), sha256(seededBytes(size, seed)));
  assert.equal(await stack.s3api.incompleteUploads(), 0);
});

for (const worker of [false, true]) test(`an upload paused while another tab holds its lock stays paused; resumed, it waits "in another tab", then takes over${worker ? ' (worker: true)' : ''}`, async () => {
  const { stack, site, context, page: first, opts } = await clientPage(cleanup, {});
  const size = 120 * MIB;
  const seed = 1416;
  // The first tab must still be uploading when it closes: 120 MiB at 20 MiB/s.
  const cdp = await context.newCDPSession(first);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 20 * MIB });
  const options = { ...opts, worker, concurrency: 2, partSize: 5 * MIB };
  const start = (tab, pause) => tab.evaluate(async ({ options, size, seed, pause }) => {
    const file = await window.t.diskFile('paused-tab.bin', size, seed);
    window.states = [];
    window.u = new window.t.Uploader(options).upload(file, {
      onPartUploaded: () => { window.stored = (window.stored ?? 0) + 1; },
      onStateChange: (s) => window.states.push(s),
    });
    if (pause) window.u.pause();
    window.outcome = window.u.done.then((r) => ({ key: r.key }), (e) => ({ error: `${e.code}: ${e.message}` }));
    return window.u.state;
  }, { options, size, seed, pause });
  await start(first, false);
  await first.waitForFunction(() => (window.stored ?? 0) >= 2, null, { timeout: 60_000 });

  const second = await context.newPage();
  await second.goto(`${site.url}/client.html`);
  await second.waitForFunction(() => window.ready === true);
  assert.equal(await start(second, true), 'paused');
  // The lock's answer has come once the second tab's request waits in the origin's queue. (Not
  // waitForFunction: it takes the promise an async predicate returns for a true answer, and went on at
  // once; with `worker: true`, resume() then reached the worker while its module loaded.)
  await second.evaluate(async () => {
    for (const end = Date.now() + 10_000; !(await navigator.locks.query()).pending.some((l) => l.name.startsWith('s3lift:'));) {
      if (Date.now() > end) throw new Error('no s3lift lock request waits');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  assert.equal(await second.evaluate(() => window.u.state), 'paused', 'the pause outlives the lock\'s answer');
  // At once, in both modes: the worker told the page of the lock's answer (no wait for its next snapshot).
  assert.equal(await second.evaluate(() => { window.u.resume(); return window.u.state; }), 'another-tab');
  await second.waitForFunction(() => window.u.state === 'another-tab', null, { timeout: 10_000 });
  // Paused again while it says 'another-tab', and resumed: back to the wait at once, and it stays there.
  assert.deepEqual(await second.evaluate(() => { window.u.pause(); const p = window.u.state; window.u.resume(); return [p, window.u.state]; }), ['paused', 'another-tab']);
  // onStateChange hears the resume (from the worker, with the worker's state): the getter agrees.
  await second.waitForFunction(() => window.states.length === 4, null, { timeout: 10_000 });
  assert.equal(await second.evaluate(() => window.u.state), 'another-tab');

  await first.close({ runBeforeUnload: false });
  const out = await second.evaluate(() => window.outcome);
  assert.equal(out.error, undefined, out.error);
  assert.deepEqual(await second.evaluate(() => window.states), ['paused', 'another-tab', 'paused', 'another-tab', 'uploading', 'done']);
  assert.equal(await stack.s3api.objectSha256(out.key), sha256(seededBytes(size, seed)));
  assert.equal(await stack.s3api.incompleteUploads(), 0);
});

test('a page whose timers stop for 8 s (as a background tab\'s do) does not trip the stall watchdog: no retry, nothing re-sent', async () => {
  const { stack, context, page, opts } = await clientPage(cleanup, {});
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  // Parts of 5 MiB take over a second each on this link, so a part is in flight when the page freezes.
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 6 * MIB });
  const size = 40 * MIB;
  const seed = 1416;
  // The watchdog's limit is far shorter than the freeze: only the late wake tells the two apart.
  const options = { ...opts, concurrency: 2, partSize: 5 * MIB, stallTimeoutMs: 2000 };
  await page.evaluate(async ({ options, size, seed }) => {
    const file = await window.t.diskFile('frozen.bin', size, seed);
    // The page's own clock: the longest gap between two ticks shows the freeze happened.
    window.gap = 0;
    let last = Date.now();
    setInterval(() => { const now = Date.now(); window.gap = Math.max(window.gap, now - last); last = now; }, 50);
    window.u = new window.t.Uploader(options).upload(file, {
      onPartUploaded: () => { window.stored = (window.stored ?? 0) + 1; },
    });
    window.outcome = window.u.done.then((r) => ({ key: r.key }), (e) => ({ error: `${e.code}: ${e.message}` }));
  }, { options, size, seed });
  await page.waitForFunction(() => (window.stored ?? 0) >= 1, null, { timeout: 60_000 });
  const before = await page.evaluate(() => ({ ...window.u.stats }));
  // The page's JS stops (the debugger pauses it): no timer, no event, for four times the stall
  // limit, as in a background tab whose timers come a minute late. The network goes on meanwhile.
  await cdp.send('Debugger.enable');
  const paused = new Promise((r) => cdp.once('Debugger.paused', r));
  await cdp.send('Debugger.pause');
  await paused;
  await new Promise((r) => setTimeout(r, 8000));
  await cdp.send('Debugger.resume');
  await cdp.send('Debugger.disable');
  const out = await page.evaluate(() => window.outcome);
  assert.equal(out.error, undefined, out.error);
  const after = await page.evaluate(() => ({ stats: { ...window.u.stats }, gap: window.gap }));
  assert.ok(after.gap >= 7000, `the page was frozen (longest gap between its timer ticks ${after.gap} ms)`);
  assert.ok(before.partsUploaded < Math.ceil(size / (5 * MIB)), 'parts were left to send when the page froze');
  assert.equal(after.stats.retries, 0, `the freeze cost no retry: ${JSON.stringify(after.stats)}`);
  assert.equal(after.stats.bytesResent, 0, `nothing was sent twice: ${JSON.stringify(after.stats)}`);
  assert.equal(await stack.s3api.objectSha256(out.key), sha256(seededBytes(size, seed)));
  assert.equal(await stack.s3api.incompleteUploads(), 0);
});

// `upload.state` answers at once, the same on the page and through the worker's mirror.
for (const worker of [false, true]) test(`pause and resume while offline: state says 'paused', then 'offline' again, at once; the upload ends byte-exact online${worker ? ' (worker: true)' : ''}`, async () => {
  const { stack, context, page, opts } = await clientPage(cleanup, {});
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const size = 60 * MIB;
  const seed = 1515;
  const options = { ...opts, worker, concurrency: 2, partSize: 5 * MIB };
  await page.evaluate(async ({ options, size, seed }) => {
    const file = await window.t.diskFile('offline-pause.bin', size, seed);
    window.states = [];
    window.u = new window.t.Uploader(options).upload(file, {
      onPartUploaded: () => { window.stored = (window.stored ?? 0) + 1; },
      onStateChange: (s) => window.states.push(s),
    });
    window.outcome = window.u.done.then((r) => ({ key: r.key }), (e) => ({ error: `${e.code}: ${e.message}` }));
  }, { options, size, seed });
  await page.waitForFunction(() => (window.stored ?? 0) >= 1, null, { timeout: 60_000 });
  await network(context, cdp, false);
  await page.waitForFunction(() => window.u.state === 'offline', null, { timeout: 10_000 });
  const seen = await page.evaluate(() => {
    window.u.pause();
    const paused = window.u.state;
    window.u.resume();
    return { paused, resumed: window.u.state };
  });
  assert.deepEqual(seen, { paused: 'paused', resumed: 'offline' });
  await network(context, cdp, true);
  const out = await page.evaluate(() => window.outcome);
  assert.equal(out.error, undefined, out.error);
  // The pause undone in the same turn is told too (on the page it was not).
  assert.deepEqual(await page.evaluate(() => window.states), ['uploading', 'offline', 'paused', 'offline', 'uploading', 'done']);
  assert.equal(await stack.s3api.objectSha256(out.key), sha256(seededBytes(size, seed)));
  assert.equal(await stack.s3api.incompleteUploads(), 0);
});
