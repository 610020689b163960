// <s3lift-dropzone> as a person uses it, in headless Chromium, against the
// real signer and Garage: what is checked is what the page shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorld, watchPage, seededBytes, sha256, ROOT } from '../lib/harness.mjs';

const MIB = 1024 * 1024;
const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
let stack, site, browser;
const cleanup = [];

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  ({ stack, site, browser } = await startWorld(cleanup));
});

after(async () => { for (const f of cleanup.reverse()) await f(); });

async function openWidget(params = {}, viewport) {
  const context = await browser.newContext(viewport ? { viewport } : {});
  const page = await context.newPage();
  watchPage(page, stack);
  const q = new URLSearchParams({ endpoint: `${stack.signer}/s3`, ...params });
  await page.goto(`${site.url}/dropzone.html?${q}`);
  await page.waitForFunction(() => window.ready === true);
  return { context, page };
}

const rowStates = (page) => page.evaluate(() => [...document.getElementById('dz').shadowRoot.querySelectorAll('li')].map((li) => li.dataset.state));
const shadowText = (page, sel) => page.evaluate((sel) => [...document.getElementById('dz').shadowRoot.querySelectorAll(sel)].map((e) => e.textContent).join('\n'), sel);

test('three dropped files (one of 120 MiB) all reach "done" and match byte for byte', async () => {
  const { context, page } = await openWidget();
  const files = [['a.bin', 120 * MIB, 1], ['b.txt', 300_000, 2], ['c.bin', 9 * MIB + 1, 3]];
  await page.evaluate((files) => window.drop(files.map(([n, s, seed]) => window.memoryFile(n, s, seed))), files);
  await page.waitForFunction(() => [...document.getElementById('dz').shadowRoot.querySelectorAll('li')].every((li) => li.dataset.state === 'done'), null, { timeout: 120_000 });
  const keys = await page.evaluate(() => document.getElementById('dz').uploads.map((u) => u.upload && u.file.name));
  assert.deepEqual(keys, ['a.bin', 'b.txt', 'c.bin']);
  const results = await page.evaluate(() => window.events.filter((e) => e.type === 's3lift-complete').map((e) => [e.name, e.detail.result.key]));
  assert.equal(results.length, 3);
  for (const [name, size, seed] of files) {
    const key = results.find(([n]) => n === name)[1];
    assert.equal(await stack.s3api.objectSha256(key), sha256(seededBytes(size, seed)), name);
  }
  const bars = await page.evaluate(() => [...document.getElementById('dz').shadowRoot.querySelectorAll('[role=progressbar]')].map((b) => b.getAttribute('aria-valuenow')));
  assert.deepEqual(bars, ['100', '100', '100']);
  assert.match(await shadowText(page, '.total'), /3 of 3 files done · 100%/);
  // Each done row links to its object through GET /s3/download.
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelectorAll('li a[download]').length === 3);
  await context.close();
});

test('the keyboard alone can pick and upload a file, with visible focus and announcements', async () => {
  // The plain input: Chromium's showOpenFilePicker (the default) never reaches Playwright's
  // filechooser event; resume-handles.test.mjs picks through it with a stub.
  const { context, page } = await openWidget({ picker: 'input' });
  // Turn on file-chooser interception before any key is pressed (otherwise the
  // chooser can open natively and the event is missed).
  page.on('filechooser', () => {});
  let focused = '';
  for (let i = 0; i < 5 && focused !== 'Choose files'; i++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => document.getElementById('dz').shadowRoot.activeElement?.textContent ?? '');
  }
  assert.equal(focused, 'Choose files');
  const outline = await page.evaluate(() => getComputedStyle(document.getElementById('dz').shadowRoot.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'focus is visible');
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
  await chooser.setFiles({ name: 'kb.txt', mimeType: 'text/plain', buffer: seededBytes(50_000, 4) });
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'done');
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('[aria-live]').textContent.includes('kb.txt uploaded'));
  await context.close();
});

test('a refused type or size shows the message and sends no request', async () => {
  const { context, page } = await openWidget({ accept: 'image/*,.pdf', 'max-size': '1000000' });
  const requests = [];
  page.on('request', (r) => { if (r.url().startsWith(stack.signer) || r.url().startsWith(stack.s3)) requests.push(r.url()); });
  await page.evaluate(() => window.drop([
    window.memoryFile('tool.exe', 1000, 1, 'application/x-msdownload'),
    window.memoryFile('huge.png', 2_000_000, 2, 'image/png'),
  ]));
  const message = await shadowText(page, '.message');
  assert.match(message, /tool\.exe: this type is not accepted \(accepted: image\/\*,\.pdf\)/);
  assert.match(message, /huge\.png: 2\.0 MB is over the 1\.0 MB limit/);
  assert.deepEqual(await rowStates(page), []);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(requests, []);
  await context.close();
});

test('pause, resume and cancel from the buttons', async () => {
  const { context, page } = await openWidget();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  // Slow enough that nothing finishes before its button is clicked, even on a loaded machine
  // (at 20 MiB/s x.bin once did, and its Cancel was gone); the link opens up for the resume.
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 2 * MIB });
  const state = (i) => page.evaluate((i) => document.getElementById('dz').shadowRoot.querySelectorAll('li')[i]?.dataset.state, i);
  // p.bin is sending before x.bin is dropped, so its pause stops parts in flight.
  await page.evaluate(() => window.drop([window.memoryFile('p.bin', 60 * 1024 * 1024, 5)]));
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'uploading');
  await page.evaluate(() => window.drop([window.memoryFile('x.bin', 60 * 1024 * 1024, 6)]));
  const button = (label) => page.locator('s3lift-dropzone').getByRole('button', { name: label, exact: true });
  await button('Pause p.bin').click();
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li').dataset.state === 'paused');
  assert.match(await shadowText(page, 'li:first-child .status'), /^Paused/);
  await button('Cancel x.bin').click();
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelectorAll('li')[1].dataset.state === 'cancelled');
  assert.equal(await state(0), 'paused');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 20 * MIB });
  await button('Resume p.bin').click();
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li').dataset.state === 'done', null, { timeout: 120_000 });
  const key = await page.evaluate(() => window.events.find((e) => e.type === 's3lift-complete').detail.result.key);
  assert.equal(await stack.s3api.objectSha256(key), sha256(seededBytes(60 * MIB, 5)));
  assert.equal(await stack.s3api.incompleteUploads(), 0, 'the cancelled upload was aborted');
  await context.close();
});

test('the network dropping mid-upload shows "Offline, waiting for the network", and the upload finishes once it is back', async () => {
  const { context, page } = await openWidget();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  // Ten seconds at this speed: the network drops while parts are in flight.
  const throttle = (offline, uploadThroughput) => cdp.send('Network.emulateNetworkConditions', { offline, latency: 0, downloadThroughput: -1, uploadThroughput });
  await throttle(false, 4 * MIB);
  const size = 40 * MIB;
  await page.evaluate((size) => window.drop([window.memoryFile('net.bin', size, 13)]), size);
  await page.waitForFunction(() => document.getElementById('dz').uploads[0]?.progress.bytesSent > 0, null, { timeout: 30_000 });
  // A lost Wi-Fi: requests fail (CDP), and the page gets `offline` (setOffline).
  await throttle(true, 4 * MIB);
  await context.setOffline(true);
  // (The engine reports progress as it stops the parts in flight, which repaints the row.)
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'offline', null, { timeout: 10_000 });
  assert.match(await shadowText(page, 'li .status'), /^Offline, waiting for the network/);
  // Back online, the upload first asks the signer (the parts the store got): while that answer
  // is held, no progress comes, and the row must still stop saying offline.
  let release;
  const held = new Promise((r) => { release = r; });
  let asked = 0;
  await page.route(`${stack.signer}/**`, async (route) => { asked += 1; await held; await route.continue(); });
  await throttle(false, -1);
  await context.setOffline(false);
  const shown = await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'uploading', null, { timeout: 10_000 })
    .then(() => 'uploading', () => page.evaluate(() => `row "${document.getElementById('dz').shadowRoot.querySelector('li .status').textContent}" while upload.state is ${document.getElementById('dz').uploads[0].upload.state}`));
  // The row can repaint before the signer's request reaches the route: wait for it (10 s at most)
  // while the answers are still held, then let them go.
  for (let i = 0; i < 200 && asked === 0; i++) await new Promise((r) => setTimeout(r, 50));
  release();
  assert.equal(shown, 'uploading', 'the row shows the upload going on once the network is back');
  assert.ok(asked > 0, 'the signer was asked while its answers were held');
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'done', null, { timeout: 60_000 });
  assert.deepEqual(await rowStates(page), ['done']);
  const key = await page.evaluate(() => window.events.find((e) => e.type === 's3lift-complete').detail.result.key);
  assert.equal(await stack.s3api.objectSha256(key), sha256(seededBytes(size, 13)));
  assert.equal(await stack.s3api.incompleteUploads(), 0);
  await context.close();
});

test('a file waiting for a slot can be paused before it sends a byte, and stays paused until resumed', async () => {
  const { context, page } = await openWidget();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1 * MIB });
  // big.bin's parts take every store slot on a slow link, so q.bin waits its turn.
  await page.evaluate(() => window.drop([window.memoryFile('big.bin', 200 * 1024 * 1024, 9)]));
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'uploading');
  await page.evaluate(() => window.drop([window.memoryFile('q.bin', 64 * 1024, 10)]));
  const button = (label) => page.locator('s3lift-dropzone').getByRole('button', { name: label, exact: true });
  // Queued (no upload yet) or started but waiting for a store slot: either way, a Pause button.
  await button('Pause q.bin').click();
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelectorAll('li')[1].dataset.state === 'paused');
  assert.equal(await page.evaluate(() => document.getElementById('dz').uploads[1].upload.state), 'paused');
  // The slots free up; q.bin stays paused until asked.
  await button('Cancel big.bin').click();
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li').dataset.state === 'cancelled');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  assert.equal(await page.evaluate(() => document.getElementById('dz').uploads[1].upload.state), 'paused');
  assert.equal(await page.evaluate(() => document.getElementById('dz').uploads[1].progress.bytesSent), 0);
  await button('Resume q.bin').click();
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelectorAll('li')[1].dataset.state === 'done', null, { timeout: 60_000 });
  const key = await page.evaluate(() => window.events.find((e) => e.type === 's3lift-complete').detail.result.key);
  assert.equal(await stack.s3api.objectSha256(key), sha256(seededBytes(64 * 1024, 10)));
  await context.close();
});

test('a file paused before the uploader has loaded starts paused once it loads, and sends nothing until resumed', async () => {
  const { context, page } = await openWidget();
  // The client module is fetched at the first file: hold its answer, so the row exists with no upload behind it.
  let release;
  const held = new Promise((r) => { release = r; });
  let asked = false;
  await page.route('**/pkg/s3lift.js', async (route) => { asked = true; await held; await route.continue(); });
  let storeRequests = 0;
  page.on('request', (r) => { if (r.url().startsWith(`${stack.s3api.endpoint}/`)) storeRequests += 1; });
  await page.evaluate(() => window.drop([window.memoryFile('early.bin', 9 * 1024 * 1024 + 5, 11)]));
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'queued');
  assert.ok(asked, 'the client module was requested');
  assert.equal(await page.evaluate(() => document.getElementById('dz').uploads[0].upload), null, 'no upload exists yet');
  const button = (label) => page.locator('s3lift-dropzone').getByRole('button', { name: label, exact: true });
  await button('Pause early.bin').click();
  assert.deepEqual(await rowStates(page), ['paused']);
  // The module loads now; the upload it makes is paused at once.
  release();
  await page.waitForFunction(() => document.getElementById('dz').uploads[0].upload?.state === 'paused');
  assert.deepEqual(await rowStates(page), ['paused']);
  // Paused from its first turn: no store request was ever made for it.
  assert.equal(await page.evaluate(() => document.getElementById('dz').uploads[0].upload.stats.partRequests), 0);
  assert.equal(await page.evaluate(() => document.getElementById('dz').uploads[0].progress.bytesSent), 0);
  await button('Resume early.bin').click();
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'done', null, { timeout: 60_000 });
  assert.ok(storeRequests > 0, 'the store got the parts after the resume');
  const key = await page.evaluate(() => window.events.find((e) => e.type === 's3lift-complete').detail.result.key);
  assert.equal(await stack.s3api.objectSha256(key), sha256(seededBytes(9 * MIB + 5, 11)));
  await context.close();
});

test('a signer 401 and a store outage show readable errors; retry works after the outage', async () => {
  const bad = await openWidget({ token: 'not-a-token' });
  await bad.page.evaluate(() => window.drop([window.memoryFile('auth.bin', 10 * 1024 * 1024, 7)]));
  await bad.page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'failed');
  assert.match(await shadowText(bad.page, 'li .status'), /Not signed in, or the session expired \(HTTP 401\)/);
  const err = await bad.page.evaluate(() => window.events.find((e) => e.type === 's3lift-error').detail.error);
  assert.equal(err.code, 'invalid_token');
  await bad.context.close();

  const { context, page } = await openWidget();
  await stack.command('stop-garage');
  try {
    await page.evaluate(() => window.drop([window.memoryFile('outage.bin', 10 * 1024 * 1024, 8)]));
    await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'failed', null, { timeout: 90_000 });
    assert.match(await shadowText(page, 'li .status'), /storage is unreachable right now \(HTTP 50[23]\)/);
  } finally {
    await stack.command('start-garage');
  }
  await page.locator('s3lift-dropzone').getByRole('button', { name: 'Retry outage.bin' }).click();
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'done', null, { timeout: 90_000 });
  const key = await page.evaluate(() => window.events.find((e) => e.type === 's3lift-complete').detail.result.key);
  assert.equal(await stack.s3api.objectSha256(key), sha256(seededBytes(10 * MIB, 8)));
  await context.close();
});

test('at 360 px wide nothing overflows sideways', async () => {
  const { context, page } = await openWidget({}, { width: 360, height: 740 });
  await page.evaluate(() => window.drop([window.memoryFile('a-rather-long-file-name-that-could-overflow-the-row.bin', 300_000, 1)]));
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'done');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `horizontal overflow of ${overflow}px`);
  await page.screenshot({ path: join(ARTIFACTS, 'dropzone-360.png'), fullPage: true });
  await context.close();
});

test('a file picked again after a reload shows "Resuming" and continues where it left off', async () => {
  const picked = mkdtempSync(join(tmpdir(), 's3lift-pick-'));
  const path = join(picked, 'resume-me.bin');
  // Over two waves of six 8 MiB parts, so the widget plans 8 MiB parts (a
  // file of up to two waves goes in one part per slot).
  const size = 120 * MIB;
  const parts = size / (8 * MIB);
  writeFileSync(path, seededBytes(size, 12));
  const { context, page } = await openWidget();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 16 * MIB });
  let stored = 0;
  const countStored = (r) => { if (r.request().method() === 'PUT' && r.url().includes('partNumber=') && r.status() === 200) stored += 1; };
  page.on('response', countStored);
  await page.locator('s3lift-dropzone input[type=file]').setInputFiles(path);
  for (let i = 0; i < 600 && stored < 4; i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(stored >= 4, 'parts were stored before the reload');
  page.off('response', countStored);
  const storedBefore = stored;
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 16 * MIB });
  let partPuts = 0;
  page.on('request', (r) => { if (r.method() === 'PUT' && r.url().includes('partNumber=')) partPuts += 1; });
  await page.locator('s3lift-dropzone input[type=file]').setInputFiles(path);
  await page.waitForFunction(() => /^Resuming/.test(document.getElementById('dz').shadowRoot.querySelector('li .status')?.textContent ?? ''), null, { timeout: 30_000 });
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('li')?.dataset.state === 'done', null, { timeout: 120_000 });
  assert.ok(partPuts <= parts - storedBefore, `only the missing parts were sent after the reload (${partPuts} PUTs, ${storedBefore} of ${parts} parts stored before)`);
  const key = await page.evaluate(() => window.events.find((e) => e.type === 's3lift-complete').detail.result.key);
  assert.equal(await stack.s3api.objectSha256(key), sha256(seededBytes(size, 12)));
  await context.close();
  rmSync(picked, { recursive: true, force: true });
});

test('with the worker attribute the uploads run in a Web Worker: the page itself sends no request', async () => {
  const context = await browser.newContext();
  // Every fetch and XHR the page's own main thread starts (a worker's are not seen here).
  await context.addInitScript(() => {
    window.pageRequests = [];
    const open = XMLHttpRequest.prototype.open;
    XMLHttpRequest.prototype.open = function (m, u, ...rest) { window.pageRequests.push(`${m} ${u}`.split('?')[0]); return open.call(this, m, u, ...rest); };
    const f = window.fetch;
    window.fetch = (u, o) => { window.pageRequests.push(`${o?.method ?? 'GET'} ${u}`.split('?')[0]); return f(u, o); };
  });
  const page = await context.newPage();
  watchPage(page, stack);
  const q = new URLSearchParams({ endpoint: `${stack.signer}/s3`, worker: '1' });
  await page.goto(`${site.url}/dropzone.html?${q}`);
  await page.waitForFunction(() => window.ready === true);
  const files = [['w.bin', 20 * MIB, 11], ['w.txt', 3000, 12]];
  await page.evaluate((files) => window.drop(files.map(([n, s, seed]) => window.memoryFile(n, s, seed))), files);
  await page.waitForFunction(() => [...document.getElementById('dz').shadowRoot.querySelectorAll('li')].every((li) => li.dataset.state === 'done'), null, { timeout: 120_000 });
  const results = await page.evaluate(() => window.events.filter((e) => e.type === 's3lift-complete').map((e) => [e.name, e.detail.result.key]));
  assert.equal(results.length, 2);
  for (const [name, size, seed] of files) {
    const key = results.find(([n]) => n === name)[1];
    assert.equal(await stack.s3api.objectSha256(key), sha256(seededBytes(size, seed)), name);
  }
  // The widget itself asks for each done row's download link; every upload request is the worker's.
  const own = await page.evaluate(() => window.pageRequests.filter((r) => !r.includes('/pkg/') && !r.includes('/www/') && !r.endsWith('/s3/download')));
  assert.deepEqual(own, [], 'the page itself sent no upload or signer request');
  await context.close();
});
