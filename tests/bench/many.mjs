// 10,000 files of 4 KiB through a drop-files widget (issue 14): <s3lift-dropzone> against
// Uppy v6 + Dashboard (inline, @uppy/aws-s3 on our signer's Companion routes), each in a fresh
// page of the same browser, in the same run, on the same signer and Garage node. Called by
// run.mjs (`S3LIFT_BENCH_ONLY=many` runs it alone); returns a BENCHMARKS.md section.
//
// Each column's files carry the column in their names; after the column, the store is listed
// and the column counts only the distinct, whole objects it left there, so a widget that drops
// files cannot pass. A column that does not finish within the limit is recorded with what it
// stored by then (the page may be frozen, so that count comes from the store, not the page).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, launchBrowser } from '../lib/harness.mjs';

const MIB = 1024 * 1024;
// `S3LIFT_BENCH_MANY_FILES` is for trying the section quickly; the bench's figure is at 10,000.
export const MANY = { n: Number(process.env.S3LIFT_BENCH_MANY_FILES ?? 10_000), size: 4096 };
const LIMIT_MS = Number(process.env.S3LIFT_BENCH_MANY_LIMIT_S ?? 300) * 1000;
const COLUMNS = ['s3lift', 'uppy-dashboard'];
const LABELS = { s3lift: '`<s3lift-dropzone>`', 'uppy-dashboard': 'Uppy v6 + Dashboard' };

/** Bundles core + aws-s3 + Dashboard (and their CSS) into `dist`: `/bench/uppy-dashboard.{js,css}`. */
export function buildUppyDashboard(dist) {
  execFileSync(join(ROOT, 'tests', 'node_modules', '.bin', 'esbuild'), ['bench/uppy-dashboard-entry.js', '--bundle', '--format=esm', '--minify', `--outfile=${join(dist, 'uppy-dashboard.js')}`, '--log-level=warning'], { cwd: join(ROOT, 'tests'), stdio: 'inherit' });
}

/** Distinct objects of `size` bytes named `many-<column>-NNNNN.bin`, anywhere in the bucket. */
async function storedBy(stack, column, size) {
  const re = new RegExp(`(?:^|/)many-${column}-(\\d{5})\\.bin$`);
  const seen = new Set();
  for (const o of await stack.s3api.list('')) {
    const m = o.key.match(re);
    if (m && o.size === size) seen.add(m[1]);
  }
  return seen.size;
}

/** One column in a fresh page; JS heap and DOM nodes sampled through CDP every 100 ms. */
async function column(browser, stack, siteUrl, name, log) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => log(`${name} page error: ${e.message}`));
  let addMs = null;
  page.on('console', (m) => { const a = m.text().match(/^many-added ([\d.]+)$/); if (a) addMs = Number(a[1]); });
  await page.goto(`${siteUrl}/many.html?${new URLSearchParams({ column: name, endpoint: stack.signer })}`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const peak = { heap: 0, nodes: 0 };
  let running = true;
  const sampler = (async () => {
    while (running) {
      // A frozen page may not answer: a sample that takes over 2 s is skipped.
      const r = await Promise.race([cdp.send('Performance.getMetrics'), new Promise((ok) => setTimeout(() => ok(null), 2000))]);
      for (const m of r?.metrics ?? []) {
        if (m.name === 'JSHeapUsedSize') peak.heap = Math.max(peak.heap, m.value);
        if (m.name === 'Nodes') peak.nodes = Math.max(peak.nodes, m.value);
      }
      await new Promise((ok) => setTimeout(ok, 100));
    }
  })();
  const t0 = Date.now();
  let timer;
  const r = await Promise.race([
    page.evaluate((a) => window.run(a), MANY).catch((e) => ({ error: e.message })),
    new Promise((ok) => { timer = setTimeout(() => ok(null), LIMIT_MS); }),
  ]);
  clearTimeout(timer);
  running = false;
  await sampler;
  const wasm = r && name === 's3lift' ? await page.evaluate(() => window.wasm.memory.buffer.byteLength) : 0;
  await context.close();
  const stored = await storedBy(stack, name, MANY.size);
  const out = { name, stored, peakHeap: peak.heap / MIB, peakNodes: peak.nodes, wasm: wasm / MIB };
  if (!r) Object.assign(out, { timedOut: true, ms: Date.now() - t0, addMs });
  else if (r.error) Object.assign(out, { error: r.error, ms: Date.now() - t0 });
  else Object.assign(out, { addMs: r.addMs, ms: r.ms, failed: r.failed, firstError: r.firstError });
  if (r && !r.error && (stored !== MANY.n || r.failed)) out.error = `${MANY.n - stored} not in the store, ${r.failed} reported failed${r.firstError ? ` (first: ${r.firstError})` : ''}`;
  out.filesPerS = !out.timedOut && !out.error ? MANY.n / (out.ms / 1000) : null;
  const added = out.addMs != null ? `, added in ${out.addMs.toFixed(0)} ms` : ', never painted after the add';
  log(`many ${name}: ${out.filesPerS ? `${out.filesPerS.toFixed(1)} files/s` : (out.timedOut ? `no end after ${LIMIT_MS / 1000} s (${(stored / (out.ms / 1000)).toFixed(1)} files/s stored until then)` : `failed: ${out.error}`)}${added}; ${stored} of ${MANY.n} stored; peak JS heap ${out.peakHeap.toFixed(1)} MiB${wasm ? ` + wasm ${out.wasm.toFixed(1)} MiB` : ''}, peak DOM nodes ${peak.nodes}`);
  return out;
}

/**
 * Runs both columns (in `browser`, or one launched here) and returns `{ md, results, targets }`.
 * `siteUrl` serves tests/pages at `/`, www/ at `/www/`, dist/pkg at `/pkg/` and the bench's dist at `/bench/`.
 */
export async function benchMany(stack, siteUrl, { browser, log = console.log } = {}) {
  const own = !browser;
  if (own) browser = await launchBrowser();
  const results = {};
  try {
    for (const name of COLUMNS) results[name] = await column(browser, stack, siteUrl, name, log);
  } finally {
    if (own) await browser.close();
  }
  const s = results.s3lift;
  const u = results['uppy-dashboard'];
  let md = `
## ${MANY.n.toLocaleString('en')} files of ${MANY.size / 1024} KiB through a widget

Each widget in a fresh page of the same browser, one after the other, on the same signer and Garage node:
**\`<s3lift-dropzone>\`** gets the files as one synthetic drop (a \`DataTransfer\` of ${MANY.n.toLocaleString('en')} files: the
widget's own drop path), which starts them; **Uppy v6 + Dashboard** (\`@uppy/core\`, \`@uppy/aws-s3\`,
\`@uppy/dashboard\` 6, inline, the bench's Uppy options, our signer's Companion routes) gets them in one
\`addFiles\` call, as its drop handler does, then \`upload()\`. The clock runs from the drop (or \`addFiles\`) until
every file is stored; **added in** is until the first frame painted after the widget took all ${MANY.n.toLocaleString('en')} files.
**Stored** is counted afterwards with ListObjectsV2 (distinct objects of the column's names and size). Peak JS
heap and DOM nodes: CDP \`Performance.getMetrics\` sampled every 100 ms (s3lift's wasm memory beside it).
A column gets ${LIMIT_MS / 1000} s.

| widget | files/s | added in | whole run | stored | peak JS heap | peak DOM nodes |
|---|---|---|---|---|---|---|
`;
  for (const name of COLUMNS) {
    const c = results[name];
    const rate = c.filesPerS ? c.filesPerS.toFixed(1) : (c.timedOut ? `no end after ${LIMIT_MS / 1000} s: ${(c.stored / (c.ms / 1000)).toFixed(1)} files/s until then` : `failed: ${c.error}`);
    md += `| ${LABELS[name]} | ${rate} | ${c.addMs != null ? `${c.addMs.toFixed(0)} ms` : '–'} | ${(c.ms / 1000).toFixed(1)} s | ${c.stored} of ${MANY.n} | ${c.peakHeap.toFixed(1)} MiB${c.wasm ? ` (+ ${c.wasm.toFixed(1)} MiB wasm)` : ''} | ${c.peakNodes} |\n`;
  }
  if (u.timedOut) md += `\nUppy v6 + Dashboard had stored ${u.stored.toLocaleString('en')} of the ${MANY.n.toLocaleString('en')} files when its ${LIMIT_MS / 1000} s ran out (\`S3LIFT_BENCH_MANY_LIMIT_S\` sets it).\n`;
  if (s.filesPerS && u.filesPerS) md += `\n\`<s3lift-dropzone>\` / Uppy v6 + Dashboard: **${(s.filesPerS / u.filesPerS).toFixed(2)}×** files/s, peak JS heap ${(s.peakHeap / u.peakHeap).toFixed(2)}×.\n`;
  const targets = [
    [`${MANY.n.toLocaleString('en')} files added to the dropzone in < 1 s, all stored (issue 14)`, `added through a drop in ${s.addMs != null ? `${s.addMs.toFixed(0)} ms` : '–'}, ${s.stored} of ${MANY.n} stored`, s.addMs < 1000 && s.stored === MANY.n ? 'met' : 'missed'],
  ];
  return { md, results, targets };
}
