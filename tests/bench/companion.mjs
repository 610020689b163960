// @uppy/companion (the standalone Node signer, installed in tests/bench/companion
// by `scripts/bootstrap.sh companion`) in front of the bench's Garage node.
//
// Its output goes to a log file, never to this process's output: the log is
// checked for secrets at the end, and only a masked tail is shown on failure.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../lib/harness.mjs';

const DIR = join(ROOT, 'tests', 'bench', 'companion');
const BIN = join(DIR, 'node_modules', '.bin', 'companion');

export const companionVersion = () => JSON.parse(readFileSync(join(DIR, 'node_modules', '@uppy', 'companion', 'package.json'), 'utf8')).version;

async function freePort() {
  const server = createServer();
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

/**
 * Starts Companion on a free loopback port, its S3 routes pointed at `stack`
 * (the store from `startStack`), CORS open to `origin`. Returns `{ url, stop }`;
 * `stop` kills it and throws when a secret reached its log.
 */
export async function startCompanion(stack, origin) {
  if (!existsSync(BIN)) throw new Error(`${BIN} not found: run \`scripts/bootstrap.sh companion\` first`);
  const port = await freePort();
  const work = mkdtempSync(join(tmpdir(), 's3lift-companion-'));
  const data = join(work, 'data');
  mkdirSync(data);
  const log = join(work, 'companion.log');
  const secrets = [stack.secretKey, randomBytes(32).toString('hex'), randomBytes(32).toString('hex')];
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    COMPANION_PORT: String(port),
    COMPANION_DOMAIN: `127.0.0.1:${port}`,
    COMPANION_PROTOCOL: 'http',
    COMPANION_DATADIR: data,
    COMPANION_SECRET: secrets[1],
    COMPANION_PREAUTH_SECRET: secrets[2],
    COMPANION_CLIENT_ORIGINS: origin,
    // Only for remote (provider) uploads, which the bench does not use; required with NODE_ENV=production.
    COMPANION_UPLOAD_URLS: `http://127.0.0.1:${port}/unused`,
    COMPANION_AWS_KEY: stack.accessKey,
    COMPANION_AWS_SECRET: stack.secretKey,
    COMPANION_AWS_BUCKET: stack.bucket,
    COMPANION_AWS_REGION: stack.region,
    COMPANION_AWS_ENDPOINT: stack.s3,
    COMPANION_AWS_FORCE_PATH_STYLE: 'true',
    // Companion's AWS SDK (>= 3.729) otherwise signs the CRC32 of an empty body
    // (x-amz-checksum-crc32=AAAAAA==) into every part URL, so every real part PUT
    // is refused; this is the SDK's documented switch back to checksums only where required.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
  };
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [BIN], { cwd: work, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  // Never leave it running when the bench dies half-way.
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  const masked = () => {
    let text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    for (const s of secrets) text = text.split(s).join('***');
    return text.replace(/X-Amz-Signature=[0-9a-f]+/gi, 'X-Amz-Signature=***').split('\n').slice(-20).join('\n');
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`companion exited with ${child.exitCode}; its log (masked):\n${masked()}`);
    try {
      const res = await fetch(`${url}/s3/params?filename=ready.bin&type=application%2Foctet-stream`);
      if (res.ok) { await res.arrayBuffer(); break; }
      throw new Error(`companion answered ${res.status} on /s3/params; its log (masked):\n${masked()}`);
    } catch (e) {
      if (e.message.startsWith('companion answered')) { child.kill('SIGKILL'); throw e; }
    }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`companion did not answer on ${url} within 60 s; its log (masked):\n${masked()}`); }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    log,
    pid: child.pid,
    stop: async () => {
      process.off('exit', orphan);
      if (child.exitCode === null) {
        await new Promise((ok) => {
          child.once('exit', ok);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
        });
      }
      const text = readFileSync(log, 'utf8');
      const leaks = secrets.filter((s) => text.includes(s)).map((s) => `${s.slice(0, 4)}…`);
      if (/X-Amz-Signature=/i.test(text)) leaks.push('an X-Amz-Signature');
      if (leaks.length) throw new Error(`secrets in Companion's log ${log}: ${leaks.join(', ')}`);
      rmSync(work, { recursive: true, force: true });
    },
  };
}
