// The npm tarball as a developer uses it: installed into a throwaway Vite app,
// built for production, served, and uploading from headless Chromium.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, serveStatic, launchBrowser, watchPage, seededBytes, sha256, ROOT, TOKEN } from '../lib/harness.mjs';

const cleanup = [];
after(async () => { for (const f of cleanup.reverse()) await f(); });

test('the packed tarball works from a Vite production build, on the page and with `worker: true`', async () => {
  const tgz = readdirSync(join(ROOT, 'dist')).find((f) => /^s3lift-.*\.tgz$/.test(f));
  assert.ok(tgz, 'dist/s3lift-*.tgz exists (run ./scripts/just build)');
  const app = mkdtempSync(join(tmpdir(), 's3lift-vite-'));
  cleanup.push(() => rmSync(app, { recursive: true, force: true }));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'vite-app', private: true, type: 'module' }));
  writeFileSync(join(app, 'index.html'), `<!doctype html><meta charset="utf-8"><title>app</title>
    <s3lift-dropzone id="dz"></s3lift-dropzone><script type="module" src="/main.js"></script>`);
  writeFileSync(join(app, 'main.js'), `
    import init, { Uploader } from 's3lift';
    import 's3lift/dropzone';
    window.upload = async (endpoint, token, bytes, worker, checksum) => {
      await init();
      const up = new Uploader({ endpoint, headers: { Authorization: 'Bearer ' + token }, multipartThreshold: 1, worker, checksum });
      const file = new File([bytes], worker ? 'from-vite-worker.bin' : 'from-vite.bin', { type: 'application/octet-stream' });
      const u = up.upload(file, {});
      return u.done;
    };
    window.ready = customElements.get('s3lift-dropzone') !== undefined;
  `);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', join(ROOT, 'dist', tgz)], { cwd: app, stdio: 'inherit' });
  execFileSync(join(ROOT, 'tests', 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], { cwd: app, stdio: 'inherit' });
  const assets = readdirSync(join(app, 'dist', 'assets'));
  assert.ok(assets.some((f) => /^s3lift_bg[^/]*\.wasm$/.test(f)), `the wasm is emitted as an asset: ${assets}`);
  // Vite follows the snippet's `new URL('../../../s3lift-digest.wasm?no-inline', import.meta.url)`,
  // and emits it as a file (not inlined into the chunk as a data URL).
  assert.ok(assets.some((f) => /^s3lift-digest[^/]*\.wasm$/.test(f)), `the digest module is emitted as an asset: ${assets}`);

  const stack = await startStack();
  cleanup.push(stack.stop);
  const site = await serveStatic({ '/': join(app, 'dist') });
  cleanup.push(site.close);
  const browser = await launchBrowser();
  cleanup.push(() => browser.close());
  const page = await browser.newPage();
  watchPage(page, stack);
  await page.goto(site.url);
  await page.waitForFunction(() => window.ready === true);
  const size = 6 * 1024 * 1024 + 5;
  // The worker is its own chunk, with the wasm it loads: Vite must have followed
  // `new Worker(new URL('./s3lift-worker.js', import.meta.url))` in the package.
  const workers = [];
  page.on('worker', (w) => workers.push(w.url()));
  for (const worker of [false, true]) {
    const result = await page.evaluate(async ({ endpoint, token, bytes, worker }) => window.upload(endpoint, token, new Uint8Array(bytes), worker),
      { endpoint: `${stack.signer}/s3`, token: TOKEN, bytes: [...seededBytes(size, 31)], worker });
    assert.equal(await stack.s3api.objectSha256(result.key), sha256(seededBytes(size, 31)), `worker: ${worker}`);
    assert.equal(workers.length, worker ? 1 : 0, `workers started: ${workers}`);
  }
  assert.match(workers[0], /\/assets\/s3lift-worker[^/]*\.js$/, 'the built worker chunk');
  // `checksum: 'crc64nvme'` fetches the digest module, on the page and in the worker
  // (Garage checks the whole file's value at complete).
  const digests = [];
  page.context().on('request', (r) => { if (/\/assets\/s3lift-digest[^/]*\.wasm$/.test(r.url())) digests.push(r.url()); });
  for (const worker of [false, true]) {
    const result = await page.evaluate(async ({ endpoint, token, bytes, worker }) => window.upload(endpoint, token, new Uint8Array(bytes), worker, 'crc64nvme'),
      { endpoint: `${stack.signer}/s3`, token: TOKEN, bytes: [...seededBytes(size, 32)], worker });
    assert.equal(await stack.s3api.objectSha256(result.key), sha256(seededBytes(size, 32)), `worker: ${worker}`);
    assert.match(result.checksum?.crc64nvme ?? '', /^[A-Za-z0-9+/]{11}=$/, `worker: ${worker}`);
    assert.equal(digests.length, worker ? 2 : 1, `the digest module fetched once each, page and worker: ${digests}`);
  }
});
