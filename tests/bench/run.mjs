// `just bench`: s3lift against the ceiling, Uppy v6 on our signer and Uppy v6 on
// @uppy/companion in headless Chromium, one Garage node, loopback; then
// s3lift-signer and Companion under the same load tool. Writes BENCHMARKS.md
// (medians of 3 runs, min–max).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, serveStatic, launchBrowser, pageMounts, ROOT } from '../lib/harness.mjs';
import { startCompanion, companionVersion } from './companion.mjs';
import { benchCli, cliAvailable } from './cli.mjs';
import { benchMany, buildUppyDashboard } from './many.mjs';

const MIB = 1024 * 1024;
const RUNS = Number(process.env.S3LIFT_BENCH_RUNS ?? 3);
const PART = 8 * MIB;
const CONC = 6;
const dist = join(ROOT, 'tests', 'bench', 'dist');
mkdirSync(dist, { recursive: true });
execFileSync(join(ROOT, 'tests', 'node_modules', '.bin', 'esbuild'), ['bench/uppy-entry.js', '--bundle', '--format=esm', '--minify', `--outfile=${join(dist, 'uppy.js')}`, '--log-level=warning'], { cwd: join(ROOT, 'tests'), stdio: 'inherit' });
buildUppyDashboard(dist);

// GNU gzip -9, as scripts/build-client.sh measures the bundle: Node's zlib (Chromium's fork) finds other
// matches, and gives the module about 220 B more since the build orders its functions for gzip.
const gzipped = (bytes) => execFileSync('gzip', ['-9c'], { input: bytes, maxBuffer: 1 << 26 }).length;
const gz = (f) => execFileSync('gzip', ['-9c', f], { maxBuffer: 1 << 26 }).length;
/** Gzipped bytes of `f` after esbuild --minify: what an app ships after its bundler. */
const minifiedGz = (f) => gzipped(execFileSync(join(ROOT, 'tests', 'node_modules', '.bin', 'esbuild'), [f, '--bundle', '--minify', '--format=esm', '--log-level=error']));
const bundle = {
  wasm: gz(join(ROOT, 'dist', 'pkg', 's3lift_bg.wasm')),
  // The glue as an app ships it: bundled with its snippets and minified, like Uppy below.
  glue: minifiedGz(join(ROOT, 'dist', 'pkg', 's3lift.js')),
  dropzone: minifiedGz(join(ROOT, 'dist', 'pkg', 'dropzone.js')),
  uppy: gz(join(dist, 'uppy.js')),
};

// Uppy v6 creates multipart uploads without a size: the Companion compatibility mode.
const stack = await startStack({ env: { S3LIFT_ALLOW_ANONYMOUS: 'true', S3LIFT_ALLOW_UNSIZED_MULTIPART: 'true' } });
// `S3LIFT_BENCH_ONLY=cli`: the command-line section alone, printed (BENCHMARKS.md is left as it is).
if (process.env.S3LIFT_BENCH_ONLY === 'cli') {
  const r = await benchCli(stack);
  console.log(r.md);
  for (const t of r.targets) console.log(t.join(' | '));
  await stack.stop();
  process.exit(0);
}
const site = await serveStatic({ '/bench/': dist, ...pageMounts() });
// `S3LIFT_BENCH_ONLY=many`: the 10,000-file widget section alone, printed.
if (process.env.S3LIFT_BENCH_ONLY === 'many') {
  const r = await benchMany(stack, site.url);
  console.log(r.md);
  for (const t of r.targets) console.log(t.join(' | '));
  await site.close();
  await stack.stop();
  process.exit(0);
}
// Companion signs for the same bucket of the same Garage node, with the same keys
// (not started for a section run without its column).
const only = process.env.S3LIFT_BENCH_ONLY;
const pick = process.env.S3LIFT_BENCH_COLUMNS?.split(',');
const noCompanion = only === 'longtask' || (only && pick && !pick.includes('uppy-companion'));
const companion = noCompanion ? { url: null, pid: -1, stop: async () => {} } : await startCompanion(stack, site.url);
const COMPANION = noCompanion ? '' : `@uppy/companion ${companionVersion()}`;
const browser = await launchBrowser();
const page = await (await browser.newContext()).newPage();
page.on('pageerror', (e) => console.error('page error:', e.message));
await page.goto(`${site.url}/bench.html`);
await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
await cdp.send('Network.enable');

const columns = ['ceiling', 's3lift', 's3lift-same', 'uppy', 'uppy-companion'];
const labels = { ceiling: 'ceiling', s3lift: 's3lift', 's3lift-same': 's3lift same', 's3lift-crc64': 's3lift + CRC64NVME', 's3lift-worker': 's3lift, worker: true', 's3lift-single': 's3lift, one PUT', uppy: 'Uppy v6', 'uppy-companion': 'Uppy v6 + Companion' };
// Whole-file CRC64NVME (issue 15) only changes multipart uploads: measured on the 1 GiB file.
// `worker: true` (issue 14) on the two workloads that decide whether it is the default.
// `S3LIFT_BENCH_COLUMNS=s3lift,s3lift-worker`: only those columns (with S3LIFT_BENCH_ONLY; nothing is written).
const columnsOf = (w) => {
  const all = w.id === '1gib' ? [...columns.slice(0, 3), 's3lift-crc64', 's3lift-worker', ...columns.slice(3)]
    : w.id === 'small' ? [...columns.slice(0, 3), 's3lift-worker', ...columns.slice(3)] : columns;
  // Only when named: s3lift-single, the file in one PUT (`multipartThreshold` 64 MiB), on the
  // throttled file (S3LIFT_BENCH_ONLY=throttled S3LIFT_BENCH_COLUMNS=ceiling,s3lift,s3lift-single).
  const named = w.id === 'throttled' && pick?.includes('s3lift-single') ? [...all, 's3lift-single'] : all;
  return named.filter((c) => !pick || pick.includes(c));
};
const workloads = [
  { id: '1gib', title: 'one 1 GiB file', unit: 'MiB/s' },
  { id: 'small', title: '500 files of 64 KiB', unit: 'files/s' },
  { id: 'throttled', title: 'one 50 MiB file, 40 ms latency, 40 MiB/s cap (CDP)', unit: 'MiB/s', throttle: { latency: 40, uploadThroughput: 40 * MIB } },
];
const results = {};
const stalls = {};
const cpuUse = {};

/** CPU seconds (user + system) used so far by the browser, the store, the signers. */
function cpuNow() {
  const tick = 100; // USER_HZ
  const out = { browser: 0, store: 0, signer: 0 };
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat;
    try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { continue; }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const secs = (Number(f[11]) + Number(f[12])) / tick;
    if (comm.startsWith('chrom')) out.browser += secs;
    else if (comm === 'garage') out.store += secs;
    else if (comm === 's3lift-signer' || Number(pid) === companion.pid) out.signer += secs;
  }
  return out;
}

// A column that gives no result in this long is recorded as stalled, and the
// page reloaded, so that one stuck upload does not hang the whole bench.
const COLUMN_LIMIT_MS = Number(process.env.S3LIFT_BENCH_COLUMN_LIMIT_S ?? 300) * 1000;
async function runColumn(args) {
  let timer;
  const r = await Promise.race([
    page.evaluate((a) => window.bench(a), args),
    new Promise((ok) => { timer = setTimeout(() => ok(null), COLUMN_LIMIT_MS); }),
  ]);
  clearTimeout(timer);
  if (r) return r;
  console.log(`${args.workload} ${args.column}: no result after ${COLUMN_LIMIT_MS / 1000} s; recorded as stalled, reloading the page`);
  await page.reload();
  await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
  await page.evaluate((id) => window.prepare(id), args.workload);
  return null;
}

for (const w of workloads.filter((w) => !only || w.id === only)) {
  await page.evaluate((id) => window.prepare(id), w.id);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: w.throttle?.latency ?? 0, downloadThroughput: -1, uploadThroughput: w.throttle?.uploadThroughput ?? -1 });
  for (let run = 0; run < RUNS; run++) {
    for (const column of columnsOf(w)) {
      const before = cpuNow();
      const r = await runColumn({ column, workload: w.id, base: stack.signer, companion: companion.url, partSize: PART, concurrency: CONC });
      const after = cpuNow();
      (results[w.id] ??= {})[column] ??= [];
      if (!r) {
        const s = (stalls[w.id] ??= {});
        s[column] = (s[column] ?? 0) + 1;
        continue;
      }
      const value = w.unit === 'files/s' ? r.files / (r.ms / 1000) : r.bytes / MIB / (r.ms / 1000);
      results[w.id][column].push(value);
      // CPU per unit of work (per file, or per MiB), summed over the runs.
      const units = w.unit === 'files/s' ? r.files : r.bytes / MIB;
      const c = ((cpuUse[w.id] ??= {})[column] ??= { browser: 0, store: 0, signer: 0, units: 0, wall: 0 });
      for (const k of ['browser', 'store', 'signer']) c[k] += after[k] - before[k];
      c.units += units;
      c.wall += r.ms / 1000;
      const each = (k) => (1000 * (after[k] - before[k]) / units).toFixed(2);
      console.log(`${w.id} run ${run + 1} ${column}: ${value.toFixed(1)} ${w.unit}; CPU ms per ${w.unit === 'files/s' ? 'file' : 'MiB'}: browser ${each('browser')}, store ${each('store')}, signer ${each('signer')}`);
    }
  }
}
await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

// Long tasks (over 50 ms, PerformanceObserver 'longtask') on the page's main thread during a
// 1 GiB upload with `checksum: 'sha256'`, worker off and on (issue 14). `S3LIFT_BENCH_ONLY=longtask`.
const longtasks = { off: [], on: [] };
if (!only || only === 'longtask') {
  await page.evaluate((id) => window.prepare(id), '1gib');
  for (let run = 0; run < RUNS; run++) {
    for (const worker of [false, true]) {
      const r = await page.evaluate((a) => window.longtasks(a), { base: stack.signer, worker });
      r.mibs = r.bytes / MIB / (r.ms / 1000);
      longtasks[worker ? 'on' : 'off'].push(r);
      console.log(`longtask worker ${worker ? 'on' : 'off'} run ${run + 1}: ${r.count} long tasks, ${r.total.toFixed(0)} ms in all, longest ${r.max.toFixed(0)} ms; ${r.mibs.toFixed(1)} MiB/s; start:ms:name ${r.at.join(' ')}`);
    }
  }
}

if (only) { await browser.close(); await site.close(); await companion.stop(); await stack.stop(); process.exit(0); }
// Peak client memory (JS heap + wasm: the module's, and the digest module's once a checksum column
// loaded it on this page) while s3lift uploads 256 MiB and 1 GiB.
const memory = {};
for (const w of ['256mib', '1gib']) {
  await page.evaluate((id) => window.prepare(id), w);
  let peak = 0;
  let done = false;
  const run = page.evaluate((a) => window.bench(a), { column: 's3lift', workload: w, base: stack.signer }).finally(() => { done = true; });
  while (!done) {
    const { metrics } = await cdp.send('Performance.getMetrics');
    const heap = metrics.find((m) => m.name === 'JSHeapUsedSize').value;
    const wasm = await page.evaluate(() => window.wasm.memory.buffer.byteLength + (window.digestMemory?.buffer.byteLength ?? 0));
    peak = Math.max(peak, heap + wasm);
    await new Promise((r) => setTimeout(r, 50));
  }
  await run;
  memory[w] = peak / MIB;
}
// 10,000 × 4 KiB through <s3lift-dropzone> and through Uppy v6 + Dashboard (issue 14).
const many = await benchMany(stack, site.url, { browser });

// The signers under load: the same tool, duration and connection count for both.
const LOAD = ['--seconds', '10', '--connections', '8'];
const loadTool = (name, args) => {
  const lines = execFileSync(join(ROOT, 'target', 'release', 's3lift-load'), [...args, ...LOAD], { encoding: 'utf8' })
    .trim().split('\n').map((l) => JSON.parse(l));
  for (const l of lines) if (l.rps) console.log(`${name} ${l.scenario}: ${l.rps} requests/s, p99 ${l.p99_ms} ms, ${l.errors} errors`);
  return lines;
};
const load = loadTool('s3lift-signer', ['--signer', join(ROOT, 'target', 'release', 's3lift-signer'), '--rss-seconds', '60']);
const companionLoad = loadTool('companion', ['--base', companion.url, '--companion']);

// The native uploader against aws-cli and boto3 (issue 15), on the same store.
const cli = cliAvailable() ? await benchCli(stack) : null;
if (!cli) console.log('no target/release/s3lift or awscli venv: the CLI section is skipped (scripts/bootstrap.sh awscli)');

await browser.close();
await site.close();
await companion.stop();
await stack.stop();

const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const fmt = (a) => !a.length ? 'stalled' : `${med(a).toFixed(1)} (${Math.min(...a).toFixed(1)}–${Math.max(...a).toFixed(1)})`;
const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU';
const chromium = execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).trim();
let md = `# Benchmarks

Produced by \`./scripts/just bench\` (\`tests/bench/run.mjs\`) on ${new Date().toISOString().slice(0, 10)}: ${cpu}, ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores, ${chromium} headless,
one Garage 2.5.0 node on loopback, the s3lift signer in front of it. Medians of ${RUNS} runs, min–max in brackets,
every column from the same run of the same page.

Columns: **ceiling** = plain \`fetch\` PUTs of \`Blob.slice\` parts (${PART / MIB} MiB, ${CONC} at a time) whose URLs were
presigned before the clock started; **s3lift** = defaults; **s3lift same** = s3lift at the ceiling's part size and
concurrency; **Uppy v6** = \`@uppy/core\` + \`@uppy/aws-s3\` 6.3.1 pointed at **our signer's Companion routes**
(an interop check as well: it uses the per-part route and POST policies); **Uppy v6 + Companion** = the same
Uppy with the same options, pointed at **${COMPANION}** (its standalone server, \`NODE_ENV=production\`,
\`AWS_REQUEST_CHECKSUM_CALCULATION=WHEN_REQUIRED\` so that its AWS SDK signs no empty-body CRC32 into part URLs,
defaults otherwise) signing for the same Garage bucket with the same keys.
The 1 GiB file lives in OPFS (headless Chromium here refuses in-memory Blobs of 256 MiB or more); the others are
generated in the page from a seeded PRNG. The CPU column is read from \`/proc\` around each column
(user + system time of every Chromium process, of Garage, and of the signer the column uses), summed over the
runs and divided by the files or MiB moved: where the two cores go.

## Throughput
`;
for (const w of workloads) {
  const r = results[w.id];
  const c = med(r.ceiling);
  const per = w.unit === 'files/s' ? 'file' : 'MiB';
  md += `\n### ${w.title} (${w.unit})\n\n| column | ${w.unit} | of ceiling | CPU ms per ${per}: browser / store / signer |\n|---|---|---|---|\n`;
  for (const col of columnsOf(w)) {
    const u = cpuUse[w.id]?.[col];
    const ms = (k) => (1000 * u[k] / u.units).toFixed(2);
    const stalled = stalls[w.id]?.[col] ? ` (${stalls[w.id][col]} of ${RUNS} runs stalled)` : '';
    md += `| ${labels[col]} | ${fmt(r[col])}${stalled} | ${r[col].length ? (100 * med(r[col]) / c).toFixed(0) : '–'} % | ${u ? `${ms('browser')} / ${ms('store')} / ${ms('signer')}` : '–'} |\n`;
  }
  md += `\ns3lift / Uppy v6: **${(med(r.s3lift) / med(r.uppy)).toFixed(2)}×**; s3lift / Uppy v6 + Companion: **${(med(r.s3lift) / med(r['uppy-companion'])).toFixed(2)}×**\n`;
}
md += many.md;
md += `
## Client memory

Peak JS heap + wasm linear memory (CDP \`Performance.getMetrics\`, sampled every 50 ms; the module's, and the digest
module's, which the CRC64NVME column loaded on this page before) during an s3lift upload:
256 MiB file: **${memory['256mib'].toFixed(1)} MiB**; 1 GiB file: **${memory['1gib'].toFixed(1)} MiB** (budget:
concurrency × part size + 16 MiB = ${CONC * PART / MIB + 16} MiB). File bytes stay in Blob slices handed to the browser's
network stack; they never enter the JS heap or wasm memory unless a checksum is asked for.

## Main thread (issue 14)

Long tasks (over 50 ms, \`PerformanceObserver\` \`'longtask'\`) on the page's main thread while s3lift uploads the
1 GiB OPFS file with \`checksum: 'sha256'\`; medians of ${RUNS} runs (min–max). With \`worker: true\` the engine, the
requests and the digests run in a dedicated module worker; the page gets progress and the result.

| worker | long tasks | their total ms | longest ms | MiB/s |
|---|---|---|---|---|
${['off', 'on'].map((k) => `| ${k} | ${fmt(longtasks[k].map((r) => r.count))} | ${fmt(longtasks[k].map((r) => r.total))} | ${fmt(longtasks[k].map((r) => r.max))} | ${fmt(longtasks[k].map((r) => r.mibs))} |`).join('\n')}

## Bundle (gzip -9)

| what | bytes |
|---|---|
| s3lift \`.wasm\` | ${bundle.wasm} |
| s3lift JS glue with its snippet \`io.js\` (esbuild --bundle --minify) | ${bundle.glue} |
| **s3lift wasm + glue** | **${bundle.wasm + bundle.glue}** |
| \`<s3lift-dropzone>\` (separate, esbuild --minify) | ${bundle.dropzone} |
| \`@uppy/core\` + \`@uppy/aws-s3\`, esbuild --minify | ${bundle.uppy} |

## Signer

\`target/release/s3lift-load --signer target/release/s3lift-signer --rss-seconds 60 ${LOAD.join(' ')}\`, then
\`target/release/s3lift-load --base <Companion's URL> --companion ${LOAD.join(' ')}\` against ${COMPANION}
(closed loop, keep-alive, 8 connections; the load tool, the signer and Garage share the 2 cores). The same routes
for both: \`GET /s3/multipart/{uploadId}/{part}\`, \`GET /s3/multipart/{uploadId}/batch\` and \`POST /s3/multipart\`
(the last one waits for Garage; the first run starts its own Garage node, Companion uses the bench's). Companion
gets no auth header (it has no auth) and logs every request (morgan, here into a file); s3lift-signer checks a
bearer token and logs requests only at debug level.

| signer | scenario | requests/s | p50 ms | p99 ms | errors |
|---|---|---|---|---|---|
`;
for (const l of load.filter((l) => l.rps)) md += `| s3lift-signer | ${l.scenario} | ${l.rps} | ${l.p50_ms} | ${l.p99_ms} | ${l.errors} |\n`;
for (const l of companionLoad.filter((l) => l.rps)) md += `| ${COMPANION} | ${l.scenario} | ${l.rps} | ${l.p50_ms} | ${l.p99_ms} | ${l.errors} |\n`;
const signerRatio = (scenario) => {
  const a = load.find((l) => l.scenario === scenario);
  const b = companionLoad.find((l) => l.scenario === scenario);
  return `${scenario} **${(a.rps / b.rps).toFixed(1)}×** (p99 ${a.p99_ms} ms vs ${b.p99_ms} ms)`;
};
md += `\ns3lift-signer / Companion in requests/s, same run: ${load.filter((l) => l.rps).map((l) => signerRatio(l.scenario)).join('; ')}.\n`;
const rss = load.find((l) => l.rss_before_kib);
if (rss) md += `\nRSS before and after ${rss.seconds} s of sustained batch signing (${rss.requests} requests, ${rss.errors} errors): ${(rss.rss_before_kib / 1024).toFixed(1)} MiB → ${(rss.rss_after_kib / 1024).toFixed(1)} MiB.\n`;
// The targets of issue #6, judged on this run's figures.
const one = (lines) => lines.find((l) => l.scenario === 'sign one part');
const ratio = (w, col) => med(results[w].s3lift) / med(results[w][col]);
const ofCeiling = (w, col) => 100 * med(results[w][col]) / med(results[w].ceiling);
const verdict = (ok) => (ok ? 'met' : 'missed');
const budget = CONC * PART / MIB + 16;
const shipped = bundle.wasm + bundle.glue;
const targets = [
  ['1 GiB ≥ 95 % of the ceiling', `${ofCeiling('1gib', 's3lift').toFixed(0)} % (defaults), ${ofCeiling('1gib', 's3lift-same').toFixed(0)} % (same part size and concurrency)`, verdict(ofCeiling('1gib', 's3lift') >= 95)],
  ['1 GiB ≥ 2× Uppy v6', `${ratio('1gib', 'uppy').toFixed(2)}× Uppy v6 on our signer, ${ratio('1gib', 'uppy-companion').toFixed(2)}× Uppy v6 + Companion`, verdict(ratio('1gib', 'uppy') >= 2)],
  ['500 × 64 KiB ≥ 1.0× the ceiling (issue 13)', `${ofCeiling('small', 's3lift').toFixed(0)} %`, verdict(ofCeiling('small', 's3lift') >= 100)],
  ['throttled 50 MiB ≥ 95 % of the ceiling and ahead of Uppy v6 (issue 13)', `${ofCeiling('throttled', 's3lift').toFixed(0)} % of the ceiling, ${ratio('throttled', 'uppy').toFixed(2)}× Uppy v6`, verdict(ofCeiling('throttled', 's3lift') >= 95 && ratio('throttled', 'uppy') > 1)],
  ['CRC64NVME whole-file checksum costs < 10 % of 1 GiB throughput (issue 15: then it is the default)', `${(100 - 100 * med(results['1gib']['s3lift-crc64']) / med(results['1gib'].s3lift)).toFixed(0)} % slower`, verdict(med(results['1gib']['s3lift-crc64']) >= 0.9 * med(results['1gib'].s3lift))],
  ['500 × 64 KiB ≥ 2× Uppy v6 (files/s)', `${ratio('small', 'uppy').toFixed(2)}× Uppy v6 on our signer, ${ratio('small', 'uppy-companion').toFixed(2)}× Uppy v6 + Companion; ${ofCeiling('small', 's3lift').toFixed(0)} % of the PUT ceiling`, verdict(ratio('small', 'uppy') >= 2)],
  ['0 long tasks on the main thread during 1 GiB with SHA-256, worker on (issue 14)', `${med(longtasks.on.map((r) => r.count))} with the worker, ${med(longtasks.off.map((r) => r.count))} without`, verdict(med(longtasks.on.map((r) => r.count)) === 0)],
  ['`worker: true` no slower on 1 GiB and 500 × 64 KiB (issue 14: then it is the default)', `${(100 * med(results['1gib']['s3lift-worker']) / med(results['1gib'].s3lift)).toFixed(0)} % and ${(100 * med(results.small['s3lift-worker']) / med(results.small.s3lift)).toFixed(0)} % of s3lift on the page`, verdict(med(results['1gib']['s3lift-worker']) >= med(results['1gib'].s3lift) && med(results.small['s3lift-worker']) >= med(results.small.s3lift))],
  ['peak memory ≤ concurrency × part size + 16 MiB, flat', `${memory['256mib'].toFixed(1)} MiB at 256 MiB, ${memory['1gib'].toFixed(1)} MiB at 1 GiB (budget ${budget} MiB)`, verdict(memory['1gib'] <= budget && memory['1gib'] - memory['256mib'] < 4)],
  ['bundle ≤ 40 KB gzipped (.wasm + glue; issue 13)', `${(shipped / 1000).toFixed(1)} KB`, shipped <= 40_000 ? 'met' : `missed by ${((shipped - 40_000) / 1000).toFixed(1)} KB`],
  ['bundle ≤ 23 KB gzipped (.wasm + glue)', `${(shipped / 1000).toFixed(1)} KB`, shipped <= 23_000 ? 'met' : `missed by ${((shipped - 23_000) / 1000).toFixed(1)} KB`],
  ['signer ≥ 50× Companion on single-part signing after the hardening (issue 12: HMAC keys, strict types, bounded metrics)', `${(one(load).rps / one(companionLoad).rps).toFixed(1)}×`, verdict(one(load).rps >= 50 * one(companionLoad).rps)],
  ['signer ≥ 10× Companion on single-part signing, p99 ≤ 5 ms', `${one(load).rps} req/s, p99 ${one(load).p99_ms} ms: ${(one(load).rps / one(companionLoad).rps).toFixed(1)}× ${COMPANION} (${one(companionLoad).rps} req/s, p99 ${one(companionLoad).p99_ms} ms)`, verdict(one(load).rps >= 10 * one(companionLoad).rps && one(load).p99_ms <= 5)],
];
targets.push(...many.targets);
if (cli) { md += cli.md; targets.push(...cli.targets); }
md += `\n## Targets: where each stands in this run\n\n| target | result | |\n|---|---|---|\n`;
for (const [t, r, v] of targets) md += `| ${t} | ${r} | ${v} |\n`;
md += readFileSync(join(ROOT, 'tests', 'bench', 'notes.md'), 'utf8');
writeFileSync(join(ROOT, 'BENCHMARKS.md'), md);
console.log('wrote BENCHMARKS.md');
