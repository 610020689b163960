// CORS preflights during one s3lift upload of the throttled bench's 50 MiB file, counted from
// CDP's network events (`type: 'Preflight'`), by route.
// `node bench/preflights.mjs` (after `./scripts/just build`; LAT=<ms> sets the emulated latency).
// Not a test: what a real network's round trips would add, which CDP's latency leaves out.
import { join } from 'node:path';
import { startStack, serveStatic, launchBrowser, pageMounts, ROOT } from '../lib/harness.mjs';

const MIB = 1024 * 1024;
const stack = await startStack({ env: { S3LIFT_ALLOW_ANONYMOUS: 'true', S3LIFT_ALLOW_UNSIZED_MULTIPART: 'true' } });
const site = await serveStatic({ '/bench/': join(ROOT, 'tests', 'bench', 'dist'), ...pageMounts() });
const browser = await launchBrowser();
const page = await (await browser.newContext()).newPage();
await page.goto(`${site.url}/bench.html`);
await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
const cdp = await page.context().newCDPSession(page);
await cdp.send('Network.enable');
const seen = new Map();
const route = (url) => {
  const p = new URL(url).pathname;
  if (p === '/s3/multipart/complete') return p;
  return p.startsWith('/s3/') ? p.replace(/\/multipart\/[^/]+/, '/multipart/{uploadId}') : 'store PUT (a part)';
};
cdp.on('Network.requestWillBeSent', (e) => {
  if (e.type === 'Preflight' || e.request.method === 'OPTIONS') seen.set(e.requestId, route(e.request.url));
});
await page.evaluate((id) => window.prepare(id), 'throttled');
await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: Number(process.env.LAT ?? 40), downloadThroughput: -1, uploadThroughput: 40 * MIB });
for (let run = 1; run <= 2; run++) {
  seen.clear();
  const r = await page.evaluate((a) => window.bench(a), { column: 's3lift', workload: 'throttled', base: stack.signer });
  await new Promise((ok) => setTimeout(ok, 300)); // the last events
  const by = {};
  for (const k of seen.values()) by[k] = (by[k] ?? 0) + 1;
  console.log(`run ${run}: ${r.ms.toFixed(0)} ms, ${seen.size} preflights`);
  for (const [k, n] of Object.entries(by)) console.log(`  ${k}: ${n}`);
}
await browser.close();
await site.close();
await stack.stop();
