// Uppy v6 (`@uppy/core` + `@uppy/aws-s3` 6.3.1) uploads through OUR signer
// with anonymous access off: its Companion requests carry no Authorization
// header, so the token rides in the `S3LIFT_AUTH_COOKIE` cookie. The page is
// served by the signer itself (`S3LIFT_STATIC_DIR`), as a real app would be.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, ROOT, seededBytes, sha256, startStack, TOKEN, watchPage } from '../lib/harness.mjs';

const COOKIE = 's3lift_session';
const cleanup = [];
let stack, browser, dir;

const PAGE = `<!doctype html><meta charset="utf-8"><title>Uppy cookie auth</title>
<script type="module">
  import { Uppy, AwsS3 } from './uppy.js';
  // Uppy's own defaults: companionEndpoint is this origin, and no headers.
  window.uppyUpload = async (bytes, name) => {
    const uppy = new Uppy({ autoProceed: false }).use(AwsS3, { companionEndpoint: location.origin, shouldUseMultipart: false });
    uppy.addFile({ name, type: 'application/octet-stream', data: new Blob([new Uint8Array(bytes)]), source: 'test' });
    const r = await uppy.upload();
    uppy.destroy();
    return { ok: r.successful.length, failed: r.failed.map((f) => String(f.error)) };
  };
  window.ready = true;
</script>`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 's3lift-uppy-cookie-'));
  execFileSync(join(ROOT, 'tests', 'node_modules', '.bin', 'esbuild'),
    ['bench/uppy-entry.js', '--bundle', '--format=esm', `--outfile=${join(dir, 'uppy.js')}`, '--log-level=warning'],
    { cwd: join(ROOT, 'tests'), stdio: 'inherit' });
  writeFileSync(join(dir, 'index.html'), PAGE);
  stack = await startStack({
    env: {
      S3LIFT_STATIC_DIR: dir,
      S3LIFT_AUTH_COOKIE: COOKIE,
      // Not `*`: cookie requests must come from the signer's own origin or a listed one.
      S3LIFT_ALLOWED_ORIGINS: 'https://app.example.com',
      S3LIFT_ALLOW_ANONYMOUS: 'false',
      S3LIFT_ALLOW_UNSIZED_MULTIPART: 'true',
    },
  });
  cleanup.push(stack.stop);
  browser = await launchBrowser();
  cleanup.push(() => browser.close());
});

after(async () => {
  for (const f of cleanup.reverse()) await f();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function openPage(cookie, origin = stack.signer) {
  const context = await browser.newContext();
  if (cookie) await context.addCookies([{ name: COOKIE, value: cookie, url: stack.signer, httpOnly: true, sameSite: 'Lax' }]);
  const page = await context.newPage();
  watchPage(page, stack);
  await page.goto(`${origin}/index.html`);
  await page.waitForFunction(() => window.ready === true);
  return { context, page };
}

test('Uppy v6 uploads through the signer with cookie auth, byte-exact', async () => {
  const { context, page } = await openPage(TOKEN);
  const data = seededBytes(300_000, 77);
  const params = page.waitForResponse((r) => r.url().includes('/s3/params?'));
  const result = await page.evaluate(([b, n]) => window.uppyUpload(b, n), [[...data], 'cookie.bin']);
  assert.deepEqual(result, { ok: 1, failed: [] });
  const answer = await (await params).json();
  const { key } = answer;
  assert.match(key, /^uploads\/alice\/.+\/cookie\.bin$/);
  assert.equal(await stack.s3api.objectSha256(key), sha256(data));
  await context.close();
});

test('without the cookie the signer answers 401, and Uppy reports the failure', async () => {
  const { context, page } = await openPage(null);
  const answer = await page.evaluate(async () => {
    const r = await fetch('/s3/params?filename=x.bin&type=application/octet-stream');
    return { status: r.status, body: await r.json() };
  });
  assert.equal(answer.status, 401);
  assert.equal(answer.body.code, 'missing_token');
  const result = await page.evaluate(([b, n]) => window.uppyUpload(b, n), [[1, 2, 3], 'nope.bin']);
  assert.equal(result.ok, 0);
  assert.equal(result.failed.length, 1);
  await context.close();
});

// Another origin sending the cookie (CSRF) gets 403 forbidden_origin: see
// crates/signer/tests/identity.rs `cookie_auth_needs_an_allowed_origin` (Chromium
// reports no response event for the CORS-blocked answer, so it is checked there).
