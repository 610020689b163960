// Whole-file integrity (issue 15): with `checksum: 'crc64nvme'` every part URL is bound to the
// part's CRC64NVME, and complete carries the whole file's value, combined from the parts' in the
// engine; Garage checks it, the signer reads it back, and `upload.done` resolves with it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, freshPage, seededBytes, sha256, TOKEN } from '../lib/harness.mjs';

const MIB = 1024 * 1024;
let stack, site, browser;
const cleanup = [];

before(async () => {
  ({ stack, site, browser } = await startWorld(cleanup));
});

after(async () => { for (const f of cleanup.reverse()) await f(); });

/** CRC-64/NVME of `bytes`, independent of the Rust code: the reflected table in two 32-bit halves. */
function crc64nvme(bytes) {
  const polyHi = 0x9a6c9329, polyLo = 0xac4bc9b5;
  const hiT = new Uint32Array(256), loT = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let hi = 0, lo = i;
    for (let k = 0; k < 8; k++) {
      const odd = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (odd) { hi = (hi ^ polyHi) >>> 0; lo = (lo ^ polyLo) >>> 0; }
    }
    hiT[i] = hi; loT[i] = lo;
  }
  let hi = 0xffffffff, lo = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    const idx = (lo ^ bytes[i]) & 0xff;
    lo = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ loT[idx]) >>> 0;
    hi = ((hi >>> 8) ^ hiT[idx]) >>> 0;
  }
  const out = Buffer.alloc(8);
  out.writeUInt32BE((~hi) >>> 0, 0);
  out.writeUInt32BE((~lo) >>> 0, 4);
  return out.toString('base64');
}

test('the CRC64NVME reference gives the catalogue value', () => {
  assert.equal(crc64nvme(Buffer.from('123456789')), 'rosUhgp5mIg=');
});

test("checksum: 'crc64nvme' binds every part and resolves with the stored whole-file value", async () => {
  const { context, page } = await freshPage({ browser, stack, site });
  const parts = [];
  page.on('request', (r) => {
    if (r.method() === 'PUT' && r.url().includes('partNumber=')) parts.push(r.headers()['x-amz-checksum-crc64nvme']);
  });
  const size = 21 * MIB + 777;
  const result = await page.evaluate(async ({ opts, size }) => {
    const up = new window.t.Uploader(opts);
    const u = up.upload(window.t.memoryFile('whole.bin', size, 11));
    return await u.done;
  }, { opts: { endpoint: `${stack.signer}/s3`, headers: { Authorization: `Bearer ${TOKEN}` }, checksum: 'crc64nvme', partSize: 5 * MIB }, size });
  const bytes = seededBytes(size, 11);
  assert.equal(await stack.s3api.objectSha256(result.key), sha256(bytes));
  assert.ok(parts.length >= 4, `a multipart upload (${parts.length} parts)`);
  assert.ok(parts.every((h) => typeof h === 'string' && h.length === 12), `every part carries its CRC64NVME: ${parts}`);
  assert.deepEqual(result.checksum, { crc64nvme: crc64nvme(bytes) });
  await context.close();
});

test("checksum: 'crc64nvme' on a small file: one PUT with the signed CRC64NVME, resolved with the stored value", async () => {
  const { context, page } = await freshPage({ browser, stack, site });
  const puts = [];
  page.on('request', (r) => {
    if (r.method() === 'PUT') puts.push({ url: r.url(), crc: r.headers()['x-amz-checksum-crc64nvme'] });
  });
  const size = 70 * 1024 + 3;
  const result = await page.evaluate(async ({ opts, size }) => {
    const up = new window.t.Uploader(opts);
    const u = up.upload(window.t.memoryFile('small.bin', size, 12));
    return await u.done;
  }, { opts: { endpoint: `${stack.signer}/s3`, headers: { Authorization: `Bearer ${TOKEN}` }, checksum: 'crc64nvme' }, size });
  const bytes = seededBytes(size, 12);
  const expected = crc64nvme(bytes);
  assert.equal(await stack.s3api.objectSha256(result.key), sha256(bytes));
  assert.equal(puts.length, 1, `one PUT, no multipart: ${puts.map((p) => p.url.split('?')[0])}`);
  assert.ok(!puts[0].url.includes('partNumber='), 'a single-request upload');
  assert.equal(puts[0].crc, expected, 'the PUT carried the file\'s CRC64NVME');
  const signed = new URL(puts[0].url).searchParams.get('X-Amz-SignedHeaders');
  assert.ok(signed.split(';').includes('x-amz-checksum-crc64nvme'), `signed headers: ${signed}`);
  assert.equal(result.confirmed, true);
  assert.deepEqual(result.checksum, { crc64nvme: expected });
  await context.close();
});

test('the digest module (s3lift-digest.wasm) is fetched only when an upload needs it, once for all its parts', async () => {
  const { context, page } = await freshPage({ browser, stack, site });
  const fetched = [];
  page.on('request', (r) => { if (r.url().includes('s3lift-digest')) fetched.push(r.url()); });
  const up = (checksum, seed) => page.evaluate(async ({ opts, size, seed }) => {
    const up = new window.t.Uploader(opts);
    return await up.upload(window.t.memoryFile(`lazy-${seed}.bin`, size, seed)).done;
  }, { opts: { endpoint: `${stack.signer}/s3`, headers: { Authorization: `Bearer ${TOKEN}` }, checksum, partSize: 5 * MIB }, size: 11 * MIB + 9, seed });
  // No checksum, no resume to verify: the base module only.
  const plain = await up(undefined, 21);
  assert.equal(await stack.s3api.objectSha256(plain.key), sha256(seededBytes(11 * MIB + 9, 21)));
  assert.equal(plain.checksum, null);
  assert.deepEqual(fetched, [], 'no digest module without a checksum');
  // CRC64NVME of three parts: one fetch, and the right whole-file value.
  const crc = await up('crc64nvme', 22);
  const bytes = seededBytes(11 * MIB + 9, 22);
  assert.equal(await stack.s3api.objectSha256(crc.key), sha256(bytes));
  assert.deepEqual(crc.checksum, { crc64nvme: crc64nvme(bytes) });
  assert.equal(fetched.length, 1, `one fetch: ${fetched}`);
  assert.match(fetched[0], /\/pkg\/s3lift-digest\.wasm\?no-inline$/, 'at the package root');
  // CRC-32 next: the same instance, no second fetch.
  const c32 = await up('crc32', 23);
  assert.equal(await stack.s3api.objectSha256(c32.key), sha256(seededBytes(11 * MIB + 9, 23)));
  assert.equal(fetched.length, 1, `still one fetch: ${fetched}`);
  await context.close();
});

test('a part goes through the digest module a piece at a time: its memory stays a piece large, and interleaved parts keep their own digests', async () => {
  const { context, page } = await freshPage({ browser, stack, site });
  const size = 2 * 12 * MIB + 5;
  const result = await page.evaluate(async ({ opts, size }) => {
    // The digest module's instance as the snippet makes it, on first use (after this).
    const instantiate = WebAssembly.instantiate;
    WebAssembly.instantiate = async (...a) => {
      const r = await instantiate.apply(WebAssembly, a);
      if (r.instance?.exports.step) window.digestMemory = r.instance.exports.memory;
      return r;
    };
    const up = new window.t.Uploader(opts);
    const done = await up.upload(window.t.memoryFile('pieces.bin', size, 31)).done;
    return { ...done, memory: window.digestMemory?.buffer.byteLength };
  }, { opts: { endpoint: `${stack.signer}/s3`, headers: { Authorization: `Bearer ${TOKEN}` }, checksum: 'crc64nvme', partSize: 12 * MIB }, size });
  const bytes = seededBytes(size, 31);
  assert.equal(await stack.s3api.objectSha256(result.key), sha256(bytes));
  // Three parts digested side by side (12 MiB, 12 MiB, 5 B), each in 4 MiB pieces: a piece
  // of one between two of another must not spoil either (the store checks every part's value).
  assert.deepEqual(result.checksum, { crc64nvme: crc64nvme(bytes) });
  assert.ok(result.memory > 0, 'the digest module was instantiated');
  // A 12 MiB part whole would need 12 MiB; a 4 MiB piece, the tables and the stack about 5.
  assert.ok(result.memory <= 6 * MIB, `the digest module's memory is ${(result.memory / MIB).toFixed(1)} MiB`);
  await context.close();
});
