// The end-to-end harness: a Garage node and the real signer (through the
// `s3lift-testenv` binary from crates/testkit), a static server for the test
// pages and the built package, and headless Debian Chromium via playwright-core.
//
// Nothing here skips: a missing tool is an error that names the bootstrap command.

import { spawn, execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync, readFileSync, statSync, createReadStream } from 'node:fs';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { dirname, extname, join, resolve, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'target', 'release');
export const CHROMIUM = process.env.S3LIFT_CHROMIUM ?? '/usr/bin/chromium';
export const TOKEN = 'test-token-alice-0001';

function need(path, fix) {
  if (!existsSync(path)) throw new Error(`${path} not found: run \`${fix}\` first`);
  return path;
}

/**
 * Starts Garage + signer. `env` adds signer settings; `exposeEtag: false`
 * applies a bucket CORS rule without `ExposeHeaders: ETag`.
 */
export async function startStack({ env = {}, exposeEtag = true, cluster = 0, replicas = 1, faultStore, faultSigner } = {}) {
  const testenv = need(join(BIN, 's3lift-testenv'), './scripts/just build');
  const signerBin = need(join(BIN, 's3lift-signer'), './scripts/just build');
  const args = ['--signer', signerBin];
  if (cluster) args.push('--cluster', String(cluster));
  if (faultStore) args.push('--fault-store', faultStore);
  if (replicas > 1) args.push('--replicas', String(replicas));
  if (faultSigner) args.push('--fault-signer', faultSigner);
  for (const [k, v] of Object.entries({ S3LIFT_ALLOWED_ORIGINS: '*', ...env })) args.push('--env', `${k}=${v}`);
  const child = spawn(testenv, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout });
  const lines = rl[Symbol.asyncIterator]();
  const first = await Promise.race([
    lines.next(),
    new Promise((_, fail) => child.once('exit', (code) => fail(new Error(`s3lift-testenv exited with ${code} (is Garage installed? run \`scripts/bootstrap.sh test\`)`)))),
  ]);
  let info;
  try { info = JSON.parse(first.value); } catch { throw new Error(`testenv said: ${first.value}`); }
  /** Sends a control command (stop-garage, start-garage, kill-signer, restart-signer) and waits for `ok`. */
  const command = async (cmd) => {
    child.stdin.write(`${cmd}\n`);
    const { value } = await lines.next();
    if (value !== 'ok') throw new Error(`testenv ${cmd}: ${value}`);
  };
  /** Runs the garage CLI (`garage status`, `garage repair --yes tables`…) and returns its output. */
  const garage = async (words) => {
    child.stdin.write(`garage ${words}\n`);
    return JSON.parse((await lines.next()).value);
  };
  /**
   * Fault proxy counters: `{ store: {requests, faults, forwardedBytes, inFlight, peakInFlight}, signer: {...} }`.
   * `stack.command('burst-store 12 503')` gives the next 12 store PUT/POSTs one fault kind
   * (500, 503, 429, reset, stall, expired, lost) and restarts the in-flight peak, again when the burst ends.
   */
  const faultStats = async () => {
    child.stdin.write('stats\n');
    return JSON.parse((await lines.next()).value);
  };
  const storeEnv = {
    ...process.env,
    S3LIFT_S3_ENDPOINT: info.s3,
    S3LIFT_S3_REGION: info.region,
    S3LIFT_S3_BUCKET: info.bucket,
    S3LIFT_S3_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: info.accessKey,
    AWS_SECRET_ACCESS_KEY: info.secretKey,
    S3LIFT_ALLOWED_ORIGINS: '*',
    S3LIFT_STATIC_TOKENS: 'test-token-alice-0001=alice',
  };
  const setup = ['bucket', 'setup'];
  if (!exposeEtag) setup.push('--no-expose-etag');
  // Garage answers unsigned requests before its key and bucket tables settle, so a
  // setup right after start can be refused once (seen: an empty error code). Try a
  // few times; if it still fails, stop the stack so the test fails instead of hanging.
  for (let attempt = 1; ; attempt++) {
    try {
      execFileSync(signerBin, setup, { env: storeEnv, stdio: ['ignore', 'ignore', 'inherit'] });
      break;
    } catch (e) {
      if (attempt < 4) { await new Promise((r) => setTimeout(r, 1000)); continue; }
      child.stdin.end(); // testenv stops Garage and the signer when its input ends
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      throw e;
    }
  }
  const s3 = new S3(info);
  const seenSignatures = new Set();
  return {
    ...info,
    s3api: s3,
    command,
    faultStats,
    garage,
    /** Stops everything, after checking that no secret reached the signer's logs. */
    stop: async () => {
      const leaks = leakedSecrets(info, seenSignatures);
      await new Promise((ok) => {
        if (child.exitCode !== null) return ok();
        child.once('exit', ok);
        child.stdin.end();
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      });
      if (leaks.length) throw new Error(`secrets in the signer's logs: ${leaks.join(', ')}`);
    },
    /** Remembers a presigned URL's signature, so the log check looks for it too. */
    sawUrl: (url) => { const sig = new URL(url).searchParams.get('X-Amz-Signature'); if (sig) seenSignatures.add(sig); },
  };
}

/** Tokens, keys and signatures that must never appear in a signer log. */
function leakedSecrets(info, signatures) {
  const secrets = ['test-token-alice-0001', 'test-token-bob-00001', info.secretKey, ...signatures];
  const found = [];
  for (const log of info.signerLogs ?? [info.signerLog]) {
    if (!log || !existsSync(log)) continue;
    const text = readFileSync(log, 'utf8');
    for (const s of secrets) if (s && text.includes(s)) found.push(`${s.slice(0, 6)}… in ${log}`);
    if (/X-Amz-Signature=/i.test(text)) found.push(`an X-Amz-Signature in ${log}`);
  }
  return found;
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml' };

/** Serves `mounts` (`{'/pkg/': dir}`) on loopback; returns `{ url, close }`. */
export async function serveStatic(mounts) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    for (const [prefix, dir] of Object.entries(mounts)) {
      if (!path.startsWith(prefix)) continue;
      let file = normalize(join(dir, path.slice(prefix.length)));
      if (!file.startsWith(normalize(dir))) break;
      if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
      if (!existsSync(file)) break;
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(404).end('not found');
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((ok) => server.close(ok)) };
}

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Headless Debian Chromium through playwright-core. */
export async function launchBrowser() {
  need(CHROMIUM, 'scripts/bootstrap.sh chromium');
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** The page origin the tests use: test pages, the package and the demo. */
export function pageMounts() {
  return {
    '/pkg/': need(join(ROOT, 'dist', 'pkg'), './scripts/just build'),
    '/www/': join(ROOT, 'www'),
    '/': join(ROOT, 'tests', 'pages'),
  };
}

export const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** The same seeded bytes the pages make (xorshift32), for checking objects. */
export function seededBytes(len, seed) {
  const out = Buffer.allocUnsafe(len);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < len; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    if (i + 4 <= len) out.writeUInt32LE(x, i);
    else for (let j = 0; i + j < len; j++) out[i + j] = (x >>> (8 * j)) & 0xff;
  }
  return out;
}

/** A minimal SigV4 client for looking at the store directly (GET only). */
export class S3 {
  constructor({ s3, region, bucket, accessKey, secretKey }) {
    Object.assign(this, { endpoint: s3, region, bucket, accessKey, secretKey });
  }

  async get(key, query = {}) {
    const path = key ? `/${key.split('/').map(encodeRfc3986).join('/')}` : '';
    const url = new URL(`${this.endpoint}/${this.bucket}${path}`);
    const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    const day = now.slice(0, 8);
    const qs = Object.entries(query).map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)]).sort(([a], [b]) => (a < b ? -1 : 1));
    const canonicalQuery = qs.map(([k, v]) => `${k}=${v}`).join('&');
    const payload = 'UNSIGNED-PAYLOAD';
    const headers = { host: url.host, 'x-amz-content-sha256': payload, 'x-amz-date': now };
    const signed = Object.keys(headers).sort();
    const creq = ['GET', url.pathname, canonicalQuery, signed.map((h) => `${h}:${headers[h]}`).join('\n') + '\n', signed.join(';'), payload].join('\n');
    const scope = `${day}/${this.region}/s3/aws4_request`;
    const sts = ['AWS4-HMAC-SHA256', now, scope, createHash('sha256').update(creq).digest('hex')].join('\n');
    let k = `AWS4${this.secretKey}`;
    for (const part of [day, this.region, 's3', 'aws4_request']) k = createHmac('sha256', k).update(part).digest();
    const sig = createHmac('sha256', k).update(sts).digest('hex');
    const res = await fetch(`${url.origin}${url.pathname}${canonicalQuery ? `?${canonicalQuery}` : ''}`, {
      headers: { ...headers, authorization: `AWS4-HMAC-SHA256 Credential=${this.accessKey}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${sig}` },
    });
    return res;
  }

  /** SHA-256 hex of a stored object, or null when it does not exist. */
  async objectSha256(key) {
    const res = await this.get(key);
    if (res.status === 404) return null;
    if (!res.ok) throw new Error(`GetObject ${res.status}: ${await res.text()}`);
    const hash = createHash('sha256');
    for await (const chunk of res.body) hash.update(chunk);
    return hash.digest('hex');
  }

  /** Every object under `prefix` (ListObjectsV2, all pages): `[{ key, size }]`. */
  async list(prefix) {
    const out = [];
    let token;
    do {
      const query = { 'list-type': '2', prefix, ...(token ? { 'continuation-token': token } : {}) };
      const res = await this.get('', query);
      const text = await res.text();
      if (!res.ok) throw new Error(`ListObjectsV2 ${res.status}: ${text}`);
      for (const [, body] of text.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        out.push({ key: unxml(body.match(/<Key>([\s\S]*?)<\/Key>/)[1]), size: Number(body.match(/<Size>(\d+)<\/Size>/)[1]) });
      }
      token = text.includes('<IsTruncated>true</IsTruncated>') ? unxml(text.match(/<NextContinuationToken>([\s\S]*?)<\/NextContinuationToken>/)[1]) : undefined;
    } while (token);
    return out;
  }

  /** Number of incomplete multipart uploads in the bucket. */
  async incompleteUploads() {
    const res = await this.get('', { uploads: '' });
    const text = await res.text();
    if (!res.ok) throw new Error(`ListMultipartUploads ${res.status}: ${text}`);
    return (text.match(/<Upload>/g) ?? []).length;
  }
}

function unxml(s) {
  return s.replace(/&(lt|gt|quot|apos|amp);/g, (_, e) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]);
}

function encodeRfc3986(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Garage + signer, the static site and headless Chromium; each is pushed onto
 * `cleanup` (run it, reversed, in `after`).
 */
export async function startWorld(cleanup, stackOptions = {}) {
  const stack = await startStack(stackOptions);
  cleanup.push(stack.stop);
  const site = await serveStatic(pageMounts());
  cleanup.push(site.close);
  const browser = await launchBrowser();
  cleanup.push(() => browser.close());
  return { stack, site, browser };
}

/** Logs page errors, and records every presigned signature the page sends (for the log check). */
export function watchPage(page, stack) {
  page.on('pageerror', (e) => console.error('page error:', e.message));
  page.on('request', (r) => stack.sawUrl(r.url()));
}

/** A test page (`client.html` unless named) in a fresh context of `browser` (its own CORS preflight cache), loaded and watched. */
export async function freshPage({ browser, stack, site }, name = 'client.html') {
  const context = await browser.newContext();
  const page = await context.newPage();
  watchPage(page, stack);
  await page.goto(`${site.url}/${name}`);
  await page.waitForFunction(() => window.ready === true);
  return { context, page };
}

/**
 * A whole test world on the client test page: stack, static site, browser,
 * page (with the secret watch), and signer options for `new Uploader`.
 * Everything it starts is pushed onto `cleanup` (run it in `after`).
 */
export async function clientPage(cleanup, stackOptions = {}, page = 'client.html') {
  const { stack, site, browser } = await startWorld(cleanup, stackOptions);
  const { context, page: tab } = await freshPage({ browser, stack, site }, page);
  const opts = { endpoint: `${stack.signer}/s3`, headers: { Authorization: `Bearer ${TOKEN}` } };
  return { stack, site, browser, context, page: tab, opts };
}

/** A multipart complete (`POST …/multipart/<id>/complete`), not the single-upload report. */
export const isMultipartComplete = (url) => url.pathname.includes('/multipart/') && url.pathname.endsWith('/complete');

/** Answers a page route as a signer without that route does (Companion): 404 `not_found`. */
export const noSuchRoute = (route) => route.fulfill({
  status: 404,
  contentType: 'application/json',
  headers: { 'access-control-allow-origin': '*' },
  body: '{"error":"not found","code":"not_found"}',
});

/** Makes `page`'s signer look like Companion's for the confirm route (`POST /s3/params/complete`);
 *  returns a function that says how many times the page asked for it. */
export async function withoutConfirmRoute(page) {
  let asked = 0;
  await page.route((url) => url.pathname.endsWith('/s3/params/complete'), (route) => { asked += 1; return noSuchRoute(route); });
  return () => asked;
}
