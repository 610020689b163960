// <s3lift-dropzone> in headless Chromium against a mock client
// (tests/pages/mock-s3lift.js): the widget's own behaviour — rows, refusals,
// buttons, keyboard, announcements, layout — with exact control of time and
// failures. The real client, signer and store are exercised by dropzone.test.mjs.
//
//   cd tests && node --test e2e/dropzone-mock.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };
let server, base, browser;
/** Every request the page made to this server: `{ path, authorization }`. */
let seen = [];

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // /www/ and /tests/pages/ from the repository, plus the one signer route the widget calls itself.
  server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    seen.push({ path: url.pathname, authorization: req.headers.authorization ?? null });
    if (url.pathname === '/mock-s3/download') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ url: `/tests/pages/files.js?object=${encodeURIComponent(url.searchParams.get('key'))}`, expires: 300 }));
      return;
    }
    const path = normalize(decodeURIComponent(url.pathname));
    const file = join(ROOT, path);
    const allowed = path.startsWith('/www/') || path.startsWith('/tests/pages/');
    if (!allowed || !file.startsWith(ROOT) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.S3LIFT_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok()));
});

/** Opens the mock page; `mock` presets `window.s3liftMock` before any script runs. */
async function open(t, { params = {}, viewport = { width: 760, height: 900 }, colorScheme = 'light', mock = {}, reducedMotion = 'no-preference' } = {}) {
  const context = await browser.newContext({ viewport, colorScheme, reducedMotion });
  t.after(() => context.close());
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // DEBUG_PAGE=1 prints the page's console.
  if (process.env.DEBUG_PAGE) page.on('console', (m) => console.log('page:', m.text()));
  await page.addInitScript((m) => {
    window.s3liftMock = {
      speed: 4_000_000, tickMs: 50, failAt: {}, hold: false, initCalls: 0, uploaders: [], uploads: [],
      ...m, resumedNames: new Set(m.resumedNames ?? []),
    };
  }, mock);
  seen = [];
  await page.goto(`${base}/tests/pages/dropzone-mock.html?${new URLSearchParams(params)}`);
  await page.waitForFunction(() => window.ready === true && customElements.get('s3lift-dropzone'));
  return { context, page, errors };
}

const dz = (page, fn, arg) => page.evaluate(([src, a]) => new Function('root', 'el', 'arg', `return (${src})(root, el, arg)`)(
  document.getElementById('dz').shadowRoot, document.getElementById('dz'), a), [fn.toString(), arg]);
const rows = (page) => dz(page, (root) => [...root.querySelectorAll('[part~=row]')].map((li) => ({
  state: li.dataset.state,
  name: li.querySelector('[part~=name]').textContent,
  status: li.querySelector('[part~=status]').textContent,
  now: Number(li.querySelector('[role=progressbar]').getAttribute('aria-valuenow')),
})));
const row = async (page, i) => (await rows(page))[i];
const waitRow = (page, i, pred, arg, timeout = 15_000) => page.waitForFunction(([i, src, arg]) => {
  const li = document.getElementById('dz').shadowRoot.querySelectorAll('[part~=row]')[i];
  if (!li) return false;
  const r = { state: li.dataset.state, status: li.querySelector('[part~=status]').textContent,
    now: Number(li.querySelector('[role=progressbar]').getAttribute('aria-valuenow')) };
  return new Function('r', 'arg', `return (${src})(r, arg)`)(r, arg);
}, [i, pred.toString(), arg], { timeout });
const live = (page) => dz(page, (root) => root.querySelector('[aria-live]').textContent);
/** Waits until the live region has said `text` (the page records every change of it). */
const waitLive = (page, text) => page.waitForFunction((t) => window.announcements.some((a) => a.includes(t)), text);
const button = (page, name) => page.locator('s3lift-dropzone').getByRole('button', { name, exact: true });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('the client is loaded and initialised once, on first use, never at page load', async (t) => {
  const { page, errors } = await open(t);
  await sleep(300);
  assert.ok(!seen.some((r) => r.path.endsWith('/mock-s3lift.js')), 'the client module is not fetched at page load');
  await page.evaluate(() => window.drop([window.makeFile('a.bin', 100_000), window.makeFile('b.bin', 100_000)]));
  await page.evaluate(() => window.drop([window.makeFile('c.bin', 100_000)]));
  await waitRow(page, 2, (r) => r.state === 'done');
  const m = await page.evaluate(() => ({ initCalls: s3liftMock.initCalls, uploaders: s3liftMock.uploaders.length, options: s3liftMock.uploaders[0].options }));
  assert.equal(m.initCalls, 1);
  assert.equal(m.uploaders, 1);
  assert.equal(m.options.endpoint, '/mock-s3');
  assert.equal(m.options.concurrency, 3);
  assert.deepEqual(errors, []);
});

test('three dropped files get a row each, progress, events, a total line and download links', async (t) => {
  const { page, errors } = await open(t, { mock: { speed: 3_000_000 } });
  await page.evaluate(() => window.drop([
    window.makeFile('holiday.mp4', 6_000_000, 'video/mp4'),
    window.makeFile('notes.txt', 40_000, 'text/plain'),
    window.makeFile('photo.png', 1_500_000, 'image/png'),
  ]));
  const first = await rows(page);
  assert.deepEqual(first.map((r) => r.name), ['holiday.mp4', 'notes.txt', 'photo.png']);
  assert.match(await dz(page, (root) => root.querySelector('[part~=row] .size').textContent), /^6\.0 MB$/);
  // The bar moves, and says so to assistive technology.
  await waitRow(page, 0, (r) => r.now >= 10 && r.now < 100);
  const mid = await row(page, 0);
  assert.match(mid.status, /^Uploading · \d+% · 3\.0 MB\/s · (\d+ s left|almost done)$/);
  await waitRow(page, 0, (r, before) => r.now > before, mid.now);
  const bar = await dz(page, (root) => {
    const b = root.querySelector('[role=progressbar]');
    return Object.fromEntries(['aria-valuemin', 'aria-valuemax', 'aria-label'].map((a) => [a, b.getAttribute(a)]));
  });
  assert.deepEqual(bar, { 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-label': 'holiday.mp4 upload progress' });
  assert.match(await dz(page, (root) => root.querySelector('[part~=total]').textContent), /^\d of 3 files done · \d+% · \d+\.\d MB\/s/);
  for (let i = 0; i < 3; i++) await waitRow(page, i, (r) => r.state === 'done');
  assert.deepEqual((await rows(page)).map((r) => r.now), [100, 100, 100]);
  assert.match(await dz(page, (root) => root.querySelector('[part~=total]').textContent), /^3 of 3 files done · 100%$/);

  const events = await page.evaluate(() => window.events);
  assert.deepEqual(events.filter((e) => e.type === 's3lift-complete').map((e) => e.name).sort(), ['holiday.mp4', 'notes.txt', 'photo.png']);
  assert.match(events[0].detail.result.key, /^uploads\/anonymous\//);
  const p = await page.evaluate(() => window.lastProgress);
  for (const k of ['bytesSent', 'totalBytes', 'bytesPerSecond', 'etaSeconds']) assert.ok(k in p, `s3lift-progress has ${k}`);
  assert.ok(await page.evaluate(() => window.progressEvents) > 10);

  // Each row links to its object through GET {endpoint}/download, sent with the widget's headers.
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelectorAll('[part~=row] a[download]').length === 3);
  const downloads = seen.filter((r) => r.path === '/mock-s3/download');
  assert.equal(downloads.length, 3);
  assert.ok(downloads.every((r) => r.authorization === 'Bearer mock-token'));
  const link = page.locator('s3lift-dropzone').getByRole('link', { name: 'Download notes.txt' });
  assert.equal(await link.getAttribute('download'), 'notes.txt');
  assert.match(await link.getAttribute('href'), /^\/tests\/pages\/files\.js\?object=uploads/);
  assert.deepEqual(errors, []);
});

test('the keyboard alone picks a file: Tab to the button, Enter, with visible focus and announcements', async (t) => {
  const { page } = await open(t);
  // Turn file chooser interception on now: when it is first asked for inside Promise.all below, it
  // can arrive after the key press, and the chooser then opens natively (invisible when headless).
  page.on('filechooser', () => {});
  // The plain input: Chromium's showOpenFilePicker (the default) never reaches Playwright's filechooser event.
  await dz(page, (root, el) => el.setAttribute('picker', 'input'));
  let focused = '';
  for (let i = 0; i < 5 && focused !== 'Choose files'; i++) {
    await page.keyboard.press('Tab');
    focused = await dz(page, (root) => root.activeElement?.textContent ?? '');
  }
  assert.equal(focused, 'Choose files');
  const outline = await dz(page, (root) => { const s = getComputedStyle(root.activeElement); return [s.outlineStyle, s.outlineWidth]; });
  assert.notEqual(outline[0], 'none', 'focus is visible');
  assert.notEqual(outline[1], '0px');
  await page.locator('s3lift-dropzone').screenshot({ path: join(ARTIFACTS, 'dropzone-mock-focus.png') });
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
  assert.ok(chooser.isMultiple());
  await chooser.setFiles([{ name: 'kb.txt', mimeType: 'text/plain', buffer: Buffer.alloc(50_000, 7) }]);
  await waitRow(page, 0, (r) => r.state === 'done');
  await waitLive(page, 'kb.txt uploaded');
  // Then on to the row's buttons with Tab alone: the download link.
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('a[download]'));
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab');
    if (await dz(page, (root) => root.activeElement?.getAttribute('aria-label')) === 'Download kb.txt') break;
  }
  assert.equal(await dz(page, (root) => root.activeElement?.getAttribute('aria-label')), 'Download kb.txt');
  // The drop area is labelled.
  assert.match(await page.locator('s3lift-dropzone').getByRole('group').getAttribute('aria-label'), /drop files/i);
});

test('a refused type or size shows the message and starts no upload', async (t) => {
  const { page } = await open(t, { params: { accept: 'image/*,.pdf', 'max-size': '1000000' } });
  assert.equal(await dz(page, (root) => root.querySelector('.hint').textContent), 'Images or PDF · up to 1.0 MB each');
  await page.evaluate(() => window.drop([
    window.makeFile('tool.exe', 1000, 'application/x-msdownload'),
    window.makeFile('huge.png', 2_000_000, 'image/png'),
    window.makeFile('ok.png', 20_000, 'image/png'),
    window.makeFile('Report.PDF', 20_000, ''),
  ]));
  const message = await dz(page, (root) => [...root.querySelectorAll('[part~=message] > *')].map((e) => e.textContent));
  assert.deepEqual(message, [
    'tool.exe: this type is not accepted (accepted: image/*,.pdf).',
    'huge.png: 2.0 MB is over the 1.0 MB limit.',
  ]);
  assert.deepEqual((await rows(page)).map((r) => r.name), ['ok.png', 'Report.PDF']);
  await waitLive(page, 'tool.exe: this type is not accepted');
  await waitRow(page, 1, (r) => r.state === 'done');
  assert.deepEqual(await page.evaluate(() => s3liftMock.uploads.map((u) => u.file.name)), ['ok.png', 'Report.PDF']);

  // Refused alone: no client is even loaded.
  const fresh = await open(t, { params: { accept: 'image/*', 'max-size': '1000' } });
  await fresh.page.evaluate(() => window.drop([window.makeFile('photo.exe', 10, 'application/octet-stream'), window.makeFile('big.png', 5000, 'image/png')]));
  await sleep(200);
  assert.equal(await fresh.page.evaluate(() => s3liftMock.uploads.length), 0);
  assert.ok(!seen.some((r) => r.path.endsWith('/mock-s3lift.js')));
  assert.deepEqual(await rows(fresh.page), []);
  assert.equal(await fresh.page.locator('s3lift-dropzone [part~=message]').isVisible(), true);
});

test('without `multiple`, one file at a time', async (t) => {
  const { page } = await open(t, { params: { single: '1' } });
  await page.evaluate(() => window.drop([window.makeFile('one.bin', 1000), window.makeFile('two.bin', 1000)]));
  assert.deepEqual((await rows(page)).map((r) => r.name), ['one.bin']);
  assert.match(await dz(page, (root) => root.querySelector('[part~=message]').textContent), /One file at a time: two\.bin not added/);
});

test('pause, resume and cancel buttons drive the upload; focus stays put; changes are announced', async (t) => {
  const { page } = await open(t, { mock: { speed: 1_000_000 } });
  await page.evaluate(() => window.drop([window.makeFile('p.bin', 20_000_000), window.makeFile('x.bin', 20_000_000)]));
  await waitRow(page, 0, (r) => r.state === 'uploading' && r.now >= 2);
  // Only the relevant buttons are there.
  const labels = () => dz(page, (root) => [...root.querySelectorAll('[part~=row]')].map((li) => [...li.querySelectorAll('[part~=actions] > *')].map((b) => b.getAttribute('aria-label'))));
  assert.deepEqual(await labels(), [['Pause p.bin', 'Cancel p.bin'], ['Pause x.bin', 'Cancel x.bin']]);

  await button(page, 'Pause p.bin').focus();
  await page.keyboard.press('Enter');
  await waitRow(page, 0, (r) => r.state === 'paused');
  assert.match((await row(page, 0)).status, /^Paused · \d+%$/);
  assert.equal(await dz(page, (root) => root.activeElement?.getAttribute('aria-label')), 'Resume p.bin', 'focus moves to the button that replaced it');
  await waitLive(page, 'p.bin paused.');
  const held = (await row(page, 0)).now;
  await sleep(400);
  assert.equal((await row(page, 0)).now, held, 'a paused upload does not move');

  await page.keyboard.press('Enter'); // Resume, from where the focus was left
  await waitRow(page, 0, (r, held) => r.state === 'uploading' && r.now > held, held);
  await waitLive(page, 'p.bin resumed.');

  await button(page, 'Cancel x.bin').click();
  await waitRow(page, 1, (r) => r.state === 'cancelled');
  assert.equal((await row(page, 1)).status, 'Cancelled');
  await waitLive(page, 'x.bin cancelled.');
  assert.deepEqual((await labels())[1], ['Remove x.bin from the list']);
  const calls = await page.evaluate(() => s3liftMock.uploads.map((u) => [u.file.name, u.calls]));
  assert.deepEqual(calls, [['p.bin', ['pause', 'resume']], ['x.bin', ['cancel']]]);
  // The cancelled file no longer counts in the total.
  assert.match(await dz(page, (root) => root.querySelector('[part~=total]').textContent), /^0 of 1 file done/);
  await page.evaluate(() => s3liftMock.complete('p.bin'));
  await waitRow(page, 0, (r) => r.state === 'done');
  // Clear finished empties the list.
  await page.locator('s3lift-dropzone').getByRole('button', { name: 'Clear finished' }).click();
  assert.deepEqual(await rows(page), []);
  assert.equal(await page.evaluate(() => document.getElementById('dz').uploads.length), 0);
});

test('a failure shows a readable message and an event; Retry continues; Cancel after a failure settles', async (t) => {
  const { page } = await open(t, {
    mock: {
      speed: 4_000_000,
      failAt: {
        'outage.bin': { at: 0.5, code: 'storage_unavailable', status: 503, message: 'storage unavailable' },
        'auth.bin': { at: 0, code: 'invalid_token', status: 401, message: 'invalid token' },
        'cors.bin': { at: 0.2, code: 'etag_unreadable', message: 'The bucket does not expose the ETag header: add ExposeHeaders: ETag to its CORS rule' },
      },
    },
  });
  await page.evaluate(() => window.drop([window.makeFile('outage.bin', 2_000_000), window.makeFile('auth.bin', 1000), window.makeFile('cors.bin', 2_000_000)]));
  for (let i = 0; i < 3; i++) await waitRow(page, i, (r) => r.state === 'failed');
  const [outage, auth, cors] = await rows(page);
  assert.equal(outage.status, 'Failed: The storage is unreachable right now (HTTP 503). Retry in a moment.');
  assert.ok(outage.now >= 40 && outage.now < 100, `the bar stays where it failed (${outage.now})`);
  assert.equal(auth.status, 'Failed: Not signed in, or the session expired (HTTP 401). Sign in and retry.');
  assert.equal(cors.status, 'Failed: The bucket does not expose the ETag header: add ExposeHeaders: ETag to its CORS rule.');
  const errorsSeen = await page.evaluate(() => window.events.filter((e) => e.type === 's3lift-error').map((e) => [e.name, e.detail.error.code, e.detail.error.status]));
  assert.deepEqual(errorsSeen.sort(), [['auth.bin', 'invalid_token', 401], ['cors.bin', 'etag_unreadable', undefined], ['outage.bin', 'storage_unavailable', 503]]);
  await waitLive(page, 'outage.bin failed: The storage is unreachable');
  assert.match(await dz(page, (root) => root.querySelector('[part~=total]').textContent), /0 of 3 files done · 3 failed/);

  await button(page, 'Retry outage.bin').click();
  await waitRow(page, 0, (r) => r.state === 'done');
  await button(page, 'Cancel auth.bin').click();
  await waitRow(page, 1, (r) => r.state === 'cancelled');
  assert.deepEqual(await page.evaluate(() => s3liftMock.uploads.map((u) => [u.file.name, u.calls])),
    [['outage.bin', ['retry']], ['auth.bin', ['cancel']], ['cors.bin', []]]);
});

test('a file picked again after a reload shows Resuming, and continues', async (t) => {
  const { page } = await open(t, { mock: { speed: 2_000_000, resumedNames: ['again.bin'] } });
  await page.evaluate(() => window.drop([window.makeFile('again.bin', 10_000_000)]));
  await waitRow(page, 0, (r) => r.state === 'resuming' && r.status.includes('MB/s'));
  assert.match((await row(page, 0)).status, /^Resuming · (4\d|5\d|6\d)% · 2\.0 MB\/s · \d+ s left$/);
  await page.evaluate(() => s3liftMock.complete('again.bin'));
  await waitRow(page, 0, (r) => r.state === 'done');
});

test('a client that cannot load fails the row readably; Retry loads it again', async (t) => {
  const { page } = await open(t);
  await page.evaluate(() => document.getElementById('dz').setAttribute('module', './missing-client.js'));
  await page.evaluate(() => window.drop([window.makeFile('early.bin', 1000)]));
  await waitRow(page, 0, (r) => r.state === 'failed');
  assert.match((await row(page, 0)).status, /^Failed: The uploader could not load \(.+\)\.$/);
  assert.deepEqual(await page.evaluate(() => window.events.map((e) => [e.type, e.detail.error?.code])), [['s3lift-error', 'load_failed']]);
  await page.evaluate(() => document.getElementById('dz').setAttribute('module', './mock-s3lift.js'));
  await button(page, 'Retry early.bin').click();
  await waitRow(page, 0, (r) => r.state === 'done');
});

test('headers may be a function (token refresh), awaited on each use', async (t) => {
  const { page } = await open(t);
  await page.evaluate(() => { document.getElementById('dz').headers = async () => ({ Authorization: 'Bearer fresh-token' }); });
  await page.evaluate(() => window.drop([window.makeFile('h.bin', 1000)]));
  await waitRow(page, 0, (r) => r.state === 'done');
  assert.deepEqual(await page.evaluate(() => s3liftMock.uploads[0].headersSeen), { Authorization: 'Bearer fresh-token' });
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('a[download]'));
  assert.equal(seen.find((s) => s.path === '/mock-s3/download').authorization, 'Bearer fresh-token');
});

/** Fills the widget with one row in each state: the screenshots show every look at once. */
async function showcase(page) {
  await page.evaluate(() => {
    s3liftMock.failAt['contract-draft.pdf'] = { at: 0.35, code: 'storage_unavailable', status: 503, message: 'unavailable' };
    s3liftMock.resumedNames.add('raw-footage-day2.mov');
    window.drop([
      window.makeFile('team-offsite-2024-photos-from-the-lake-house.zip', 48_000_000, 'application/zip'),
      window.makeFile('raw-footage-day2.mov', 60_000_000, 'video/quicktime'),
      window.makeFile('logo.svg', 3_400, 'image/svg+xml'),
      window.makeFile('contract-draft.pdf', 18_000_000, 'application/pdf'),
      window.makeFile('podcast-episode-12.mp3', 42_000_000, 'audio/mpeg'),
      window.makeFile('dataset.csv', 30_000_000, 'text/csv'),
    ]);
  });
  await waitRow(page, 3, (r) => r.state === 'failed');
  await page.waitForFunction(() => document.getElementById('dz').shadowRoot.querySelector('a[download]'));
  await button(page, 'Pause podcast-episode-12.mp3').click();
  await button(page, 'Cancel dataset.csv').click();
  await waitRow(page, 5, (r) => r.state === 'cancelled');
  await waitRow(page, 0, (r) => r.now >= 30);
}

test('at 360 px wide nothing overflows sideways; screenshots mid-upload, light and dark', async (t) => {
  const narrow = await open(t, { viewport: { width: 360, height: 1000 }, mock: { speed: 6_000_000 } });
  await showcase(narrow.page);
  const overflow = await narrow.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `horizontal overflow of ${overflow}px`);
  // Nothing inside the widget sticks out of it either.
  const outside = await dz(narrow.page, (root, el) => {
    const box = el.getBoundingClientRect();
    // (.sr is the visually hidden live region: clipped to nothing on purpose.)
    return [...root.querySelectorAll(':not(.sr)')].filter((n) => n.getClientRects().length)
      .filter((n) => { const r = n.getBoundingClientRect(); return r.width && (r.left < box.left - 0.5 || r.right > box.right + 0.5); })
      .map((n) => n.className || n.tagName);
  });
  assert.deepEqual(outside, []);
  // Buttons stay big enough to hit (WCAG 2.5.8: 24 × 24 CSS px).
  const small = await dz(narrow.page, (root) => [...root.querySelectorAll('button, a')].filter((b) => b.getClientRects().length)
    .map((b) => b.getBoundingClientRect()).filter((r) => r.width < 24 || r.height < 24).length);
  assert.equal(small, 0);
  await narrow.page.screenshot({ path: join(ARTIFACTS, 'dropzone-mock-360.png'), fullPage: true });

  for (const scheme of ['light', 'dark']) {
    const { page, errors } = await open(t, { viewport: { width: 760, height: 900 }, colorScheme: scheme, mock: { speed: 6_000_000 } });
    await showcase(page);
    await page.locator('s3lift-dropzone').screenshot({ path: join(ARTIFACTS, `dropzone-mock-${scheme}.png`) });
    assert.deepEqual(errors, []);
    }
});

test('reduced motion turns transitions and the bar sheen off', async (t) => {
  const { page } = await open(t, { reducedMotion: 'reduce', mock: { speed: 500_000 } });
  await page.evaluate(() => window.drop([window.makeFile('calm.bin', 5_000_000)]));
  await waitRow(page, 0, (r) => r.state === 'uploading');
  const motion = await dz(page, (root) => {
    const fill = root.querySelector('.fill');
    return [getComputedStyle(fill).transitionDuration, getComputedStyle(fill, '::after').animationName];
  });
  assert.deepEqual(motion, ['0s', 'none']);
});
