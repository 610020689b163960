// 10,000 files in <s3lift-dropzone> (issue 14, "10,000 files"), against the
// real signer and Garage: they are added in under a second (measured in the
// page), the list keeps only the rows in view in the DOM, scrolling to the
// end shows the last file, and the totals above the list count them all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, watchPage } from '../lib/harness.mjs';

const FILES = 10_000;
const SIZE = 1024;
const cleanup = [];
let stack, site, browser;

before(async () => { ({ stack, site, browser } = await startWorld(cleanup)); });
after(async () => { for (const f of cleanup.reverse()) await f(); });

const inDz = (page, fn, arg) => page.evaluate(([src, arg]) => new Function('dz', 'root', 'arg', `return (${src})(dz, root, arg)`)(
  document.getElementById('dz'), document.getElementById('dz').shadowRoot, arg), [fn.toString(), arg]);

test('10,000 files are added in under 1 s, with a bounded number of rows in the DOM and totals above the list', async () => {
  const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
  const page = await context.newPage();
  watchPage(page, stack);
  await page.goto(`${site.url}/dropzone.html?${new URLSearchParams({ endpoint: `${stack.signer}/s3` })}`);
  await page.waitForFunction(() => window.ready === true);
  // The client loads on first use: one file first, so the measure is of adding, not of loading wasm.
  await page.evaluate(() => window.drop([window.memoryFile('warm-up.bin', 10, 1)]));
  await page.waitForFunction(() => document.getElementById('dz').uploads[0]?.state === 'done');
  await inDz(page, (dz) => dz.clear());

  const added = await inDz(page, async (dz, root, { n, size }) => {
    const bytes = new Uint8Array(size);
    const files = Array.from({ length: n }, (_, i) => new File([bytes], `file-${String(i).padStart(5, '0')}.bin`));
    const t0 = performance.now();
    dz.addFiles(files);
    // Until the next frame is painted: the rows, the totals, and the client's 10,000 upload() calls
    // (they run in the microtasks before it) are all in.
    await new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));
    const ms = performance.now() - t0;
    return {
      ms, handles: dz.uploads.filter((u) => u.upload).length,
      rows: root.querySelectorAll('li').length,
      total: root.querySelector('[part~=total]').textContent, bytes: root.querySelector('[part~=bytes]').textContent,
    };
  }, { n: FILES, size: SIZE });
  console.log(`added ${FILES} files in ${added.ms.toFixed(0)} ms; ${added.rows} rows in the DOM`);
  assert.equal(added.handles, FILES, 'every file was handed to the client');
  assert.ok(added.ms < 1000, `added in ${added.ms.toFixed(0)} ms`);
  assert.ok(added.rows > 0 && added.rows < 100, `${added.rows} rows in the DOM`);
  assert.match(added.total, /^\d+ of 10000 files done/);
  assert.match(added.bytes, /of 10\.2 MB$/);

  // Scrolling to the end shows the last file's row, still with few rows.
  const end = await inDz(page, async (dz, root) => {
    const scroller = root.querySelector('ul').parentElement;
    scroller.scrollTop = scroller.scrollHeight;
    await new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)));
    const box = scroller.getBoundingClientRect();
    const visible = [...root.querySelectorAll('li')].filter((li) => {
      const r = li.getBoundingClientRect();
      return r.bottom > box.top && r.top < box.bottom;
    });
    return { rows: root.querySelectorAll('li').length, last: visible.at(-1)?.querySelector('[part~=name]').textContent };
  });
  assert.equal(end.last, 'file-09999.bin');
  assert.ok(end.rows < 100, `${end.rows} rows after scrolling`);

  // All of them reach the store, and the totals say so.
  await page.waitForFunction(() => document.getElementById('dz').uploads.every((u) => u.state === 'done'), null, { timeout: 600_000, polling: 500 });
  await page.waitForFunction(() => /^10000 of 10000 files done · 100%$/.test(document.getElementById('dz').shadowRoot.querySelector('[part~=total]').textContent));
  assert.equal(await inDz(page, (dz, root) => root.querySelector('[part~=bytes]').textContent), '10.2 MB of 10.2 MB');
  assert.equal((await stack.s3api.list('uploads/alice/')).length, FILES + 1);
  await context.close();
});
