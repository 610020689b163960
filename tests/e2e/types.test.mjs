// The package's types in a plain TypeScript project (issue 13): the packed
// tarball installed into a throwaway app that uses the main API and the
// dropzone, compiled with `tsc --strict` on `lib: ["ES2022", "DOM"]` (no
// esnext lib), with the two module resolutions apps use.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../lib/harness.mjs';

const TSC = join(ROOT, 'tests', 'node_modules', 'typescript', 'bin', 'tsc');
let app;

// Every call checks a type: a wrong one is an error, and each `@ts-expect-error`
// fails the build if the types went loose (`any`) and accepted it.
const APP = `
import init, { Uploader, type Upload, type UploadError, type UploadResult, type Progress, type UploaderOptions } from 's3lift';
import { S3liftDropzone, formatBytes, describeError, matchesAccept, type DropzoneItem } from 's3lift/dropzone';

await init();
const options: UploaderOptions = {
  endpoint: '/s3',
  headers: async () => ({ Authorization: 'Bearer t' }),
  concurrency: 4,
  retry: { maxAttempts: 5 },
  checksum: 'crc64nvme',
  transport: 'fetch',
};
const uploader = new Uploader(options);
const file = new File(['hello'], 'hello.txt', { type: 'text/plain' });
const controller = new AbortController();
const upload: Upload = uploader.upload(file, {
  metadata: { album: 'cats' },
  onProgress: (p: Progress) => console.log(p.bytesSent / p.totalBytes, p.etaSeconds ?? 'unknown'),
  onPartUploaded: (part) => console.log(part.partNumber, part.etag.length, part.size),
  signal: controller.signal,
});
upload.pause();
upload.resume();
// Options are optional.
const plain: Upload = uploader.upload(new File(['x'], 'x.txt'));
plain.cancel();
const state: 'queued' | 'uploading' | 'offline' | 'another-tab' | 'paused' | 'done' | 'failed' | 'cancelled' = upload.state;
const resent: number = upload.stats.bytesResent;
const retries: number = upload.stats.retries;
try {
  const r: UploadResult = await upload.done;
  const key: string = r.key;
  const bucket: string | null = r.bucket;
  const confirmed: boolean = r.confirmed;
  const crc: string | undefined = r.checksum?.crc64nvme;
  console.log(key, bucket, confirmed, crc, r.location, r.etag?.length, state, resent, retries, upload.resumed);
} catch (e) {
  const err = e as UploadError;
  console.log(err.code, err.status ?? 0, err.key ?? '', err.message);
  if (err.code !== 'cancelled') upload.retry();
}
upload.cancel();
uploader.free();

const dz = document.querySelector('s3lift-dropzone');
if (dz) {
  const el: S3liftDropzone = dz;
  el.headers = { Authorization: 'Bearer t' };
  el.addFiles([file]);
  const items: DropzoneItem[] = el.uploads;
  console.log(items.map((i) => i.state), el.endpoint, el.maxSize);
  el.addEventListener('s3lift-complete', (e) => console.log(e.detail.result.key));
  el.addEventListener('s3lift-error', (e) => console.log(describeError(e.detail.error)));
  el.clear();
}
console.log(formatBytes(1234567), matchesAccept(file, 'text/*'));

// @ts-expect-error endpoint is required
new Uploader({});
// @ts-expect-error transport is 'xhr' or 'fetch'
new Uploader({ endpoint: '/s3', transport: 'ws' });
// @ts-expect-error progress is a number of bytes
const wrong: string = ({} as Progress).bytesSent;
console.log(wrong);
`;

/** A tsconfig for `app.ts`: strict, ES2022 + DOM only, the given module resolution. */
function tsconfig(module, moduleResolution) {
  return JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, target: 'ES2022', lib: ['ES2022', 'DOM'],
      module, moduleResolution, skipLibCheck: false, types: [],
    },
    files: ['app.ts'],
  });
}

function tsc(project) {
  const r = spawnSync(process.execPath, [TSC, '-p', project], { cwd: app, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

before(() => {
  assert.ok(existsSync(TSC), `${TSC} missing: run scripts/bootstrap.sh node`);
  const tgz = readdirSync(join(ROOT, 'dist')).find((f) => /^s3lift-.*\.tgz$/.test(f));
  assert.ok(tgz, 'dist/s3lift-*.tgz exists (run ./scripts/just build)');
  app = mkdtempSync(join(tmpdir(), 's3lift-types-'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'ts-app', private: true, type: 'module' }));
  // The tarball has no dependencies: nothing is fetched.
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', '--loglevel=error', join(ROOT, 'dist', tgz)], { cwd: app, stdio: 'inherit' });
  writeFileSync(join(app, 'app.ts'), APP);
  writeFileSync(join(app, 'tsconfig.bundler.json'), tsconfig('ESNext', 'Bundler'));
  writeFileSync(join(app, 'tsconfig.node.json'), tsconfig('NodeNext', 'NodeNext'));
});

after(() => { if (app) rmSync(app, { recursive: true, force: true }); });

for (const [name, project] of [['a bundler app', 'tsconfig.bundler.json'], ['a NodeNext app', 'tsconfig.node.json']]) {
  test(`the packed types compile under tsc --strict with lib ES2022 + DOM (${name})`, () => {
    const { status, output } = tsc(project);
    assert.equal(status, 0, `tsc -p ${project}:\n${output}`);
    assert.equal(output, '');
  });
}

test('the check has teeth: a type error in the app fails the compile', () => {
  writeFileSync(join(app, 'app.ts'), `${APP}\nconst n: number = new Uploader({ endpoint: '/s3' });\n`);
  try {
    const { status, output } = tsc('tsconfig.bundler.json');
    assert.notEqual(status, 0);
    assert.match(output, /app\.ts\(\d+,\d+\): error TS2322/);
  } finally {
    writeFileSync(join(app, 'app.ts'), APP);
  }
});
