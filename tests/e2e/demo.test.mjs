// The demo as `just demo` runs it: `s3lift-signer dev` with its embedded
// store, serving www/ and the built package. Screenshots go to tests/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, ROOT, seededBytes, sha256 } from '../lib/harness.mjs';

const MIB = 1024 * 1024;
const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
let dev, base, browser, data;
/** What `s3lift-signer dev` printed to stderr (its log), echoed as it comes. */
let devLog = '';

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  data = mkdtempSync(join(tmpdir(), 's3lift-demo-'));
  // Port 0: the signer binds a free port itself and prints the page's address
  // (a port picked here and released could be taken before the signer binds it).
  dev = spawn(join(ROOT, 'target', 'release', 's3lift-signer'), ['dev', '--data', data, '--www', join(ROOT, 'www'), '--pkg', join(ROOT, 'dist', 'pkg')], {
    env: { ...process.env, S3LIFT_BIND: '127.0.0.1:0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dev.stderr.on('data', (b) => { devLog += b; process.stderr.write(b); });
  base = await new Promise((ok, fail) => {
    let out = '';
    dev.stdout.on('data', (b) => {
      out += b;
      const m = out.match(/open (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) ok(m[1]);
    });
    dev.on('exit', (code) => fail(new Error(`s3lift-signer dev exited (${code}) before it listened:\n${out}${devLog}`)));
    setTimeout(() => fail(new Error(`s3lift-signer dev printed no address in 20 s:\n${out}${devLog}`)), 20_000).unref();
  });
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* not yet */ }
    if (i > 100) throw new Error('s3lift-signer dev did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  dev?.kill();
  if (data) rmSync(data, { recursive: true, force: true });
});

test('the demo page uploads through the embedded store, shows the requests, and links the object', async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 1300 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(base);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 5, downloadThroughput: -1, uploadThroughput: 40 * MIB });
  const input = page.locator('s3lift-dropzone input[type=file]');
  const picked = mkdtempSync(join(tmpdir(), 's3lift-picked-'));
  writeFileSync(join(picked, 'holiday-video.mp4'), seededBytes(96 * MIB, 3));
  writeFileSync(join(picked, 'notes.txt'), seededBytes(40_000, 4));
  await input.setInputFiles([join(picked, 'holiday-video.mp4'), join(picked, 'notes.txt')]);
  await page.waitForFunction(() => {
    const li = document.getElementById('dz').shadowRoot.querySelector('li');
    return li && Number(li.querySelector('[role=progressbar]').getAttribute('aria-valuenow')) >= 30;
  }, null, { timeout: 60_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'demo-uploading.png') });
  await page.waitForFunction(() => [...document.getElementById('dz').shadowRoot.querySelectorAll('li')].every((li) => li.dataset.state === 'done'), null, { timeout: 120_000 });
  await page.waitForFunction(() => document.querySelectorAll('#objects a').length === 2);
  await page.waitForFunction(() => document.querySelectorAll('#requests tr').length > 12);
  await page.screenshot({ path: join(ARTIFACTS, 'demo-done.png') });

  // The request panel never shows a presigned query string.
  const panel = await page.locator('#requests').innerText();
  assert.match(panel, /PUT part 1/);
  assert.match(panel, /\/s3\/multipart/);
  assert.doesNotMatch(panel, /X-Amz-Signature/);
  // The link downloads exactly what was uploaded.
  const href = await page.locator('#objects a', { hasText: 'holiday-video.mp4' }).getAttribute('href');
  const body = Buffer.from(await (await fetch(href)).arrayBuffer());
  assert.equal(sha256(body), sha256(seededBytes(96 * MIB, 3)));
  // A clean start and a clean upload log no error: the first lines a new
  // user reads (the embedded store once logged its start-up probe's refused
  // form as two ERRORs).
  assert.doesNotMatch(devLog, /\bERROR\b/);
  await context.close();
  rmSync(picked, { recursive: true, force: true });
});
