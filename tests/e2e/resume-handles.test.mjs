// <s3lift-dropzone> after a reload, against the real signer and Garage: the
// unfinished uploads are listed; those with a stored FileSystemFileHandle
// resume with one click ("Resume all"), the others when their file is dropped
// again; a file changed in between starts over and the row says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startWorld, watchPage, seededBytes, sha256, ROOT } from '../lib/harness.mjs';

const MIB = 1024 * 1024;
// Concurrency 1: 6 parts of 8 MiB, sent one after another.
const SIZE = 48 * MIB;
const PARTS = 6;
let stack, site, browser;
const cleanup = [];

before(async () => {
  ({ stack, site, browser } = await startWorld(cleanup));
});

after(async () => { for (const f of cleanup.reverse()) await f(); });

const isPartPut = (r) => r.method() === 'PUT' && r.url().includes('partNumber=');
const throttle = (cdp, bytesPerSecond) => cdp.send('Network.emulateNetworkConditions',
  { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });

/** The test page's widget, one upload at a time, its uploads slowed to 16 MiB/s. */
async function openWidget(params = {}) {
  // README width (docs/resume.png is taken at it).
  const context = await browser.newContext({ viewport: { width: 760, height: 800 } });
  const page = await context.newPage();
  watchPage(page, stack);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await throttle(cdp, 16 * MIB);
  await page.goto(`${site.url}/dropzone.html?${new URLSearchParams({ endpoint: `${stack.signer}/s3`, ...params })}`);
  await page.waitForFunction(() => window.ready === true);
  await page.evaluate(() => document.getElementById('dz').setAttribute('concurrency', '1'));
  return { context, page, cdp };
}

/** Waits for 2 stored parts (answered PUTs), then reloads: the upload is cut off midway. */
async function reloadMidway(page, start) {
  let stored = 0;
  const count = (r) => { if (isPartPut(r.request()) && r.status() === 200) stored += 1; };
  page.on('response', count);
  await start();
  for (let i = 0; i < 600 && stored < 2; i++) await new Promise((r) => setTimeout(r, 50));
  page.off('response', count);
  assert.ok(stored >= 2 && stored < PARTS, `the reload cuts the upload midway (${stored} of ${PARTS} parts stored)`);
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  await page.evaluate(() => document.getElementById('dz').setAttribute('concurrency', '1'));
  return stored;
}

const rows = (page) => page.evaluate(() => [...document.getElementById('dz').shadowRoot.querySelectorAll('li')]
  .map((li) => ({ state: li.dataset.state, name: li.querySelector('.name').textContent, size: li.querySelector('.size').textContent, status: li.querySelector('.status').textContent })));
const waitDone = (page) => page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'done', null, { timeout: 120_000 });
/** Waits for a drop to land: the listed row leaves `saved`, or a new row comes. */
const waitTaken = (page) => page.waitForFunction(() => {
  const dz = document.getElementById('dz');
  return dz.uploads.length > 1 || dz.uploads[0].state !== 'saved';
});
const completedKey = (page) => page.evaluate(() => window.events.find((e) => e.type === 's3lift-complete').detail.result.key);

/** How many uploads the widget keeps in IndexedDB for a reload. */
const keptCount = (page) => page.evaluate(() => new Promise((ok) => {
  const req = indexedDB.open('s3lift-dropzone');
  req.onsuccess = () => { const g = req.result.transaction('uploads').objectStore('uploads').count(); g.onsuccess = () => { req.result.close(); ok(g.result); }; };
  req.onerror = () => ok(-1);
}));

async function waitKept(page, n) {
  let got = -1;
  for (let i = 0; i < 200 && got !== n; i++) {
    got = await keptCount(page);
    if (got !== n) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(got, n, `${n} upload(s) kept for a reload`);
}

test('after a reload, "Resume all" resumes a file picked through showOpenFilePicker from its stored handle, sending only the missing parts', async () => {
  const { context, page, cdp } = await openWidget();
  // An OPFS file's handle is a FileSystemFileHandle like a picker's: the page's picker answers with it.
  const stubPicker = () => page.evaluate(() => {
    window.showOpenFilePicker = async () => [await (await navigator.storage.getDirectory()).getFileHandle('handle.bin')];
  });
  await page.evaluate(async (size) => { await (await import('./files.js')).diskFile('handle.bin', size, 21); }, SIZE);
  await stubPicker();
  const stored = await reloadMidway(page, () => page.evaluate(() => document.getElementById('dz').shadowRoot.querySelector('.choose').click()));
  await throttle(cdp, -1);
  // The widget lists the unfinished upload by name and size, with the button.
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'saved');
  const [row] = await rows(page);
  assert.equal(row.name, 'handle.bin');
  assert.equal(row.size, '50.3 MB');
  assert.match(row.status, /Not finished · ready to resume/);
  const button = page.locator('s3lift-dropzone .resume-all');
  assert.ok(await button.isVisible(), 'the Resume all button is shown');
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  await page.locator('s3lift-dropzone').screenshot({ path: join(ROOT, 'docs', 'resume.png') });
  let puts = 0;
  page.on('request', (r) => { if (isPartPut(r)) puts += 1; });
  await button.click();
  await waitDone(page);
  assert.ok(puts >= 1 && puts <= PARTS - stored, `only the missing parts were sent (${puts} PUTs after the reload, ${stored} of ${PARTS} stored before)`);
  assert.equal(await page.evaluate(() => document.getElementById('dz').uploads[0].upload.resumed), true);
  assert.equal(await stack.s3api.objectSha256(await completedKey(page)), sha256(seededBytes(SIZE, 21)));
  // Done: the entry is gone, so another reload lists nothing.
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  assert.equal(await keptCount(page), 0, 'the finished upload is no longer stored');
  await context.close();
});

test('a dropped file keeps its handle (DataTransferItem.getAsFileSystemHandle): after a reload "Resume all" continues it', async () => {
  const { context, page, cdp } = await openWidget();
  await page.evaluate(async (size) => { await (await import('./files.js')).diskFile('dropped.bin', size, 29); }, SIZE);
  // Synthetic drops carry no handles: the page's items answer with the OPFS file's, as a real drop's do.
  const stubItems = () => page.evaluate(() => {
    DataTransferItem.prototype.getAsFileSystemHandle = function () {
      const name = this.getAsFile()?.name;
      return navigator.storage.getDirectory().then((d) => d.getFileHandle(name));
    };
  });
  await stubItems();
  const drop = () => page.evaluate(async () => {
    const h = await (await navigator.storage.getDirectory()).getFileHandle('dropped.bin');
    window.drop([await h.getFile()]);
  });
  const stored = await reloadMidway(page, drop);
  await throttle(cdp, -1);
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'saved');
  const [row] = await rows(page);
  assert.equal(row.name, 'dropped.bin');
  assert.match(row.status, /ready to resume \(Resume all\)/, 'the handle of the drop was kept');
  let puts = 0;
  page.on('request', (r) => { if (isPartPut(r)) puts += 1; });
  await page.locator('s3lift-dropzone .resume-all').click();
  await waitDone(page);
  assert.ok(puts >= 1 && puts <= PARTS - stored, `only the missing parts were sent (${puts} PUTs after the reload, ${stored} of ${PARTS} stored before)`);
  assert.equal(await stack.s3api.objectSha256(await completedKey(page)), sha256(seededBytes(SIZE, 29)));
  await context.close();
});

test('after a reload, a dropped file without a handle is named in its row, and dropping it again resumes it', async () => {
  const { context, page, cdp } = await openWidget();
  const stored = await reloadMidway(page, () => page.evaluate((size) => window.drop([window.memoryFile('again.bin', size, 22)]), SIZE));
  await throttle(cdp, -1);
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'saved');
  const [row] = await rows(page);
  assert.equal(row.name, 'again.bin');
  assert.match(row.status, /drop again\.bin \(50\.3 MB\) again to resume/);
  assert.equal(await page.locator('s3lift-dropzone .resume-all').isVisible(), false, 'nothing to resume with one click');
  let puts = 0;
  page.on('request', (r) => { if (isPartPut(r)) puts += 1; });
  await page.evaluate((size) => window.drop([window.memoryFile('again.bin', size, 22)]), SIZE);
  await waitTaken(page);
  assert.equal((await rows(page)).length, 1, 'the dropped file took the listed row');
  await waitDone(page);
  assert.ok(puts >= 1 && puts <= PARTS - stored, `only the missing parts were sent (${puts} PUTs, ${stored} of ${PARTS} stored before)`);
  assert.equal(await stack.s3api.objectSha256(await completedKey(page)), sha256(seededBytes(SIZE, 22)));
  await context.close();
});

test('a file changed before it is dropped again starts over, and its row says so', async () => {
  const { context, page, cdp } = await openWidget();
  const before = await stack.s3api.incompleteUploads();
  await reloadMidway(page, () => page.evaluate((size) => window.drop([window.memoryFile('changed.bin', size, 23)]), SIZE));
  await throttle(cdp, -1);
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'saved');
  // Saved since: other bytes, a later lastModified, the same name and size.
  await page.evaluate((size) => {
    const f = window.memoryFile('changed.bin', size, 24);
    window.drop([new File([f], f.name, { type: f.type, lastModified: f.lastModified + 60_000 })]);
  }, SIZE);
  await waitTaken(page);
  assert.equal((await rows(page)).length, 1, 'the dropped file took the listed row');
  await waitDone(page);
  const all = await rows(page);
  assert.match(all[0].status, /file changed, started over/);
  assert.equal(await stack.s3api.objectSha256(await completedKey(page)), sha256(seededBytes(SIZE, 24)));
  assert.equal(await stack.s3api.incompleteUploads(), before, 'the old upload was aborted');
  await context.close();
});

test('a cancelled upload is no longer kept for a reload', async () => {
  const { context, page } = await openWidget();
  await page.evaluate((size) => window.drop([window.memoryFile('cancel.bin', size, 25)]), SIZE);
  await waitKept(page, 1);
  await page.locator('s3lift-dropzone').getByRole('button', { name: 'Cancel cancel.bin', exact: true }).click();
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'cancelled');
  await waitKept(page, 0);
  await context.close();
});

/** Polls until the store holds `n` unfinished multipart uploads. */
async function waitIncomplete(n) {
  let got = -1;
  for (let i = 0; i < 200 && got !== n; i++) {
    got = await stack.s3api.incompleteUploads();
    if (got !== n) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(got, n, 'unfinished multipart uploads in the store');
}

test('removing a listed unfinished upload aborts its multipart upload and forgets it', async () => {
  const { context, page, cdp } = await openWidget();
  const before = await stack.s3api.incompleteUploads();
  await reloadMidway(page, () => page.evaluate((size) => window.drop([window.memoryFile('remove.bin', size, 26)]), SIZE));
  await throttle(cdp, -1);
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'saved');
  assert.equal(await stack.s3api.incompleteUploads(), before + 1, 'the reload left the upload open');
  const fp = await page.evaluate(() => document.getElementById('dz').uploads[0].fingerprint);
  await page.locator('s3lift-dropzone').getByRole('button', { name: 'Remove remove.bin from the list', exact: true }).click();
  await waitIncomplete(before);
  await waitKept(page, 0);
  // The record goes when the page reads the DELETE's answer, which can come after the store shows the upload gone.
  await page.waitForFunction((fp) => localStorage.getItem(`s3lift:${fp}`) === null, fp, { timeout: 10_000 })
    .catch(() => assert.fail('the resume record is still there 10 s after the abort'));
  await context.close();
});

/** An upload cut off by a reload, its record made `days` old, then another reload: nothing listed, the upload aborted. */
async function expiresAfterReload(params, days, name, seed) {
  const { context, page, cdp } = await openWidget(params);
  const before = await stack.s3api.incompleteUploads();
  await reloadMidway(page, () => page.evaluate(({ size, name, seed }) => window.drop([window.memoryFile(name, size, seed)]), { size: SIZE, name, seed }));
  await throttle(cdp, -1);
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'saved');
  // The clock is faked in the client's record.
  await page.evaluate((days) => {
    const item = `s3lift:${document.getElementById('dz').uploads[0].fingerprint}`;
    const r = JSON.parse(localStorage.getItem(item));
    r.createdAt = Date.now() - days * 24 * 3600 * 1000;
    localStorage.setItem(item, JSON.stringify(r));
  }, days);
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  await waitIncomplete(before);
  await waitKept(page, 0);
  assert.equal(await page.evaluate(() => document.getElementById('dz').uploads.length), 0, 'nothing is listed');
  await context.close();
}

test('an unfinished upload older than 7 days is not listed after a reload: its multipart upload is aborted', async () => {
  await expiresAfterReload({}, 8, 'old.bin', 27);
});

test('resume-days="1" keeps an unfinished upload one day: two days old, it is aborted', async () => {
  await expiresAfterReload({ 'resume-days': '1' }, 2, 'older.bin', 28);
});
