// Resume after a reload, against the real signer and Garage: never onto a
// changed file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, watchPage, seededBytes, sha256, TOKEN, isMultipartComplete, withoutConfirmRoute } from '../lib/harness.mjs';

const MIB = 1024 * 1024;
let stack, site, browser;
const cleanup = [];

before(async () => {
  ({ stack, site, browser } = await startWorld(cleanup));
});

after(async () => { for (const f of cleanup.reverse()) await f(); });

async function openPage(context, path = 'client.html') {
  const page = await context.newPage();
  watchPage(page, stack);
  await page.goto(`${site.url}/${path}`);
  await page.waitForFunction(() => window.ready === true);
  return page;
}

const signerOpts = () => ({ endpoint: `${stack.signer}/s3`, headers: { Authorization: `Bearer ${TOKEN}` } });

/** Starts `name` (seeded `seed`, 6 parts of 5 MiB) and waits for 2 stored parts. */
async function uploadSome(page, name, size, seed) {
  await page.evaluate(async ({ opts, name, size, seed }) => {
    const file = window.t.memoryFile(name, size, seed);
    const up = new window.t.Uploader({ ...opts, concurrency: 1, partSize: 5 * 1024 * 1024 });
    window.u = up.upload(file, { onPartUploaded: () => { window.stored = (window.stored ?? 0) + 1; } });
    window.fingerprint = window.u.fingerprint;
  }, { opts: signerOpts(), name, size, seed });
  await page.waitForFunction(() => (window.stored ?? 0) >= 2);
  return page.evaluate(() => window.fingerprint);
}

test('a file edited between the reload and the resume (same name, size and time) starts over', async () => {
  const context = await browser.newContext();
  const page = await openPage(context);
  const size = 25 * MIB + 1234;
  const before = await stack.s3api.incompleteUploads();
  await uploadSome(page, 'edited.bin', size, 11);
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  // The same name, size and lastModified; one byte of part 1 differs.
  const out = await page.evaluate(async ({ opts, size }) => {
    const f = window.t.memoryFile('edited.bin', size, 11);
    const bytes = new Uint8Array(await f.arrayBuffer());
    bytes[1024 * 1024] ^= 0xff;
    const file = new File([bytes], f.name, { type: f.type, lastModified: f.lastModified });
    const up = new window.t.Uploader({ ...opts, partSize: 5 * 1024 * 1024 });
    const flags = new Set();
    const u = up.upload(file, { onProgress: (p) => flags.add(p.restarted) });
    const r = await u.done;
    return { r, resumed: u.resumed, restarted: u.restarted, flags: [...flags] };
  }, { opts: signerOpts(), size });
  assert.equal(out.r.restarted, 'file_changed', 'the result says the upload started over');
  assert.equal(out.restarted, 'file_changed');
  assert.ok(out.flags.includes('file_changed'), `progress carried the flag: ${out.flags}`);
  assert.equal(out.resumed, false);
  const edited = seededBytes(size, 11);
  edited[MIB] ^= 0xff;
  assert.equal(await stack.s3api.objectSha256(out.r.key), sha256(edited), 'the object is the edited file');
  // The old upload was aborted: no parts of the old bytes stay behind.
  assert.equal(await stack.s3api.incompleteUploads(), before);
  await context.close();
});

test('an expired resume record is not continued: its upload is aborted and the file starts afresh', async () => {
  const context = await browser.newContext();
  const page = await openPage(context);
  const size = 25 * MIB + 1234;
  const before = await stack.s3api.incompleteUploads();
  const fingerprint = await uploadSome(page, 'expired.bin', size, 12);
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  assert.equal(await stack.s3api.incompleteUploads(), before + 1, 'the reload left the upload open');
  // Eight days old (the default keeps records 7 days): the clock is faked in the record.
  await page.evaluate((fp) => {
    const item = `s3lift:${fp}`;
    const r = JSON.parse(localStorage.getItem(item));
    r.createdAt = Date.now() - 8 * 24 * 3600 * 1000;
    localStorage.setItem(item, JSON.stringify(r));
  }, fingerprint);
  const out = await page.evaluate(async ({ opts, size }) => {
    const file = window.t.memoryFile('expired.bin', size, 12);
    const up = new window.t.Uploader({ ...opts, partSize: 5 * 1024 * 1024 });
    const u = up.upload(file);
    const r = await u.done;
    return { r, resumed: u.resumed };
  }, { opts: signerOpts(), size });
  assert.equal(out.resumed, false);
  assert.equal(await stack.s3api.objectSha256(out.r.key), sha256(seededBytes(size, 12)));
  assert.equal(await stack.s3api.incompleteUploads(), before, 'the expired upload was aborted');
  await context.close();
});

test('a file picked again after a reload, saved since (new lastModified), is handed the record and starts over', async () => {
  // What a row with no stored handle does: it finds the record by name and size and passes
  // `resumeFrom`. The edited file's fingerprint differs, so the engine restarts it.
  const context = await browser.newContext();
  const page = await openPage(context);
  const size = 25 * MIB + 1234;
  const before = await stack.s3api.incompleteUploads();
  const fingerprint = await uploadSome(page, 'saved.bin', size, 13);
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  const out = await page.evaluate(async ({ opts, size, fingerprint }) => {
    const f = window.t.memoryFile('saved.bin', size, 14);
    const file = new File([f], f.name, { type: f.type, lastModified: f.lastModified + 60_000 });
    const up = new window.t.Uploader({ ...opts, partSize: 5 * 1024 * 1024 });
    const u = up.upload(file, { resumeFrom: fingerprint });
    const r = await u.done;
    return { r, resumed: u.resumed, restarted: u.restarted, recordLeft: localStorage.getItem(`s3lift:${fingerprint}`) };
  }, { opts: signerOpts(), size, fingerprint });
  assert.equal(out.r.restarted, 'file_changed');
  assert.equal(out.resumed, false);
  assert.equal(out.recordLeft, null, 'the old record is forgotten');
  assert.equal(await stack.s3api.objectSha256(out.r.key), sha256(seededBytes(size, 14)));
  assert.equal(await stack.s3api.incompleteUploads(), before, 'the old upload was aborted');
  await context.close();
});

/** A multipart complete (`POST …/multipart/<id>/complete`), not the single-upload report. */

/**
 * A reload while the complete is on its way: the first page's complete reaches
 * the signer, which completes the upload; its answer never comes back. The new
 * page, handed the same file, must finish with that object and store no second.
 * `confirmRoute: false` plays Companion, which has no route to check an object.
 */
async function reloadMidComplete({ name, seed, confirmRoute }) {
  const context = await browser.newContext();
  const page = await openPage(context);
  const size = 12 * MIB;
  const uploadsBefore = await stack.s3api.incompleteUploads();
  let completes = 0;
  let landed;
  const landedSeen = new Promise((ok) => { landed = ok; });
  await page.route(isMultipartComplete, async (route) => {
    completes += 1;
    if (completes > 1) return route.continue();
    const answer = await route.fetch();
    landed(answer.status());
  });
  const checks = confirmRoute ? () => 0 : await withoutConfirmRoute(page);
  await page.evaluate(async ({ opts, name, size, seed }) => {
    const file = window.t.memoryFile(name, size, seed);
    window.u = new window.t.Uploader({ ...opts, partSize: 5 * 1024 * 1024 }).upload(file);
  }, { opts: signerOpts(), name, size, seed });
  assert.equal(await landedSeen, 200, 'the first page\'s complete went through');
  await page.reload();
  await page.waitForFunction(() => window.ready === true);

  const out = await page.evaluate(async ({ opts, name, size, seed }) => {
    const file = window.t.memoryFile(name, size, seed);
    const u = new window.t.Uploader({ ...opts, partSize: 5 * 1024 * 1024 }).upload(file);
    try {
      const r = await u.done;
      return { key: r.key, confirmed: r.confirmed, etag: r.etag, resumed: u.resumed };
    } catch (e) {
      return { error: `${e.code}: ${e.message}` };
    }
  }, { opts: signerOpts(), name, size, seed });
  assert.equal(out.error, undefined, out.error);
  assert.equal(completes, 1, 'the new page sent no complete of its own');
  assert.equal(out.resumed, true, 'the upload counts as resumed');
  if (confirmRoute) {
    assert.equal(out.confirmed, true, 'the signer checked the object');
    assert.match(out.etag ?? '', /-3"$/, 'the multipart object\'s ETag');
  } else {
    assert.equal(checks(), 1, 'the check was asked for, and met no route');
  }
  const objects = (await stack.s3api.list('')).filter((o) => o.key.endsWith(name));
  assert.deepEqual(objects, [{ key: out.key, size }], 'exactly one object for the file');
  assert.equal(await stack.s3api.objectSha256(out.key), sha256(seededBytes(size, seed)));
  assert.equal(await stack.s3api.incompleteUploads(), uploadsBefore);
  await context.close();
}

test('a reload while the complete is on its way: the new page finds the object it made and stores no second one', () =>
  reloadMidComplete({ name: 'reload-mid-complete.bin', seed: 1203, confirmRoute: true }));

test('a reload while the complete is on its way, without the confirm route (Companion): the record\'s mark says it was sent', () =>
  reloadMidComplete({ name: 'reload-mid-complete-companion.bin', seed: 1204, confirmRoute: false }));
