// `new Uploader(options)` refuses a bad option with a clear error: code `bad_option` and a message
// naming the option. In Node, against the built package (dist/pkg): no browser is needed to construct.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const dir = new URL('../../dist/pkg/', import.meta.url);
const m = await import(new URL('s3lift.js', dir).href);
await m.default({ module_or_path: readFileSync(new URL('s3lift_bg.wasm', dir)) });

const refused = (options) => {
  try {
    new m.Uploader(options);
  } catch (e) {
    return [e.code, e.message];
  }
  assert.fail(`accepted ${JSON.stringify(options)}`);
};

test('each bad option throws bad_option with a message that names it', () => {
  const bad = 'bad_option';
  assert.deepEqual(refused({}), [bad, "`endpoint` (the signer's base URL, e.g. '/s3') is required"]);
  assert.deepEqual(refused({ endpoint: '/s3', checksum: 'md5' }), [bad, "`checksum` must be 'sha256', 'crc32', 'crc64nvme' or 'none'"]);
  assert.deepEqual(refused({ endpoint: '/s3', transport: 'ws' }), [bad, "`transport` must be 'xhr' or 'fetch'"]);
  for (const concurrency of [0, 65, NaN]) {
    assert.deepEqual(refused({ endpoint: '/s3', concurrency }), [bad, '`concurrency` must be from 1 to 64']);
  }
});

test('good options construct an uploader, and many refused constructions leave the module working', () => {
  const good = { endpoint: '/s3', retry: { maxAttempts: 3 }, checksum: 'crc32', transport: 'fetch', concurrency: 64 };
  new m.Uploader(good).free();
  for (let i = 0; i < 20_000; i++) refused({ endpoint: '/s3', concurrency: 0 });
  new m.Uploader(good).free();
});
