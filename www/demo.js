// The demo page: the widget, the objects it uploaded this session, and a live
// panel of the requests behind them (signer calls and part PUTs) with a waterfall.
//
// Where the request panel gets its facts:
// - Resource Timing (PerformanceObserver, `resource` entries) gives exact start, duration and, when
//   the answer is CORS-readable, `responseStatus`. It only reports a request once it has finished.
// - To draw requests *while* they run (six parts side by side is the point of the demo), the page
//   also notes each fetch/XHR as it starts and ends. The wasm client calls the global `fetch` and
//   `XMLHttpRequest` like any script, so it is seen too. Finished entries from Resource Timing then
//   replace the page's own clock readings.
// Presigned URLs are bearer credentials: the panel shows a method and a short path, never a query string.

const dz = document.getElementById('dz');
const token = new URLSearchParams(location.search).get('token');
if (token) dz.headers = { Authorization: `Bearer ${token}` };
document.getElementById('who').textContent = token ? 'Signed in with a token' : 'Dev mode · anonymous';

// ---------------------------------------------------------------------------
// Uploaded objects
// ---------------------------------------------------------------------------
const objects = document.getElementById('objects');
const objectCount = document.getElementById('object-count');
let uploaded = 0;

const formatBytes = (n) => {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
  return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
};

const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

dz.addEventListener('s3lift-complete', async (e) => {
  const { file, result } = e.detail;
  objects.querySelector('.empty')?.remove();
  uploaded += 1;
  objectCount.textContent = `${uploaded}`;
  const name = el('span', { className: 'obj-name', textContent: file.name });
  const li = el('li', {},
    el('div', { className: 'obj-main' }, name, el('code', { className: 'obj-key', textContent: result.key, title: result.key })),
    el('span', { className: 'obj-size', textContent: formatBytes(file.size) }));
  objects.prepend(li);
  try {
    const res = await fetch(`${dz.getAttribute('endpoint') || '/s3'}/download?key=${encodeURIComponent(result.key)}`, { headers: dz.headers });
    if (!res.ok) return;
    const { url } = await res.json();
    // The file name becomes the link: a short-lived presigned GET, made for this caller only.
    const a = el('a', { href: url, textContent: file.name, title: `Download ${file.name} (the link expires in minutes)` });
    a.setAttribute('download', file.name);
    name.replaceWith(a);
  } catch { /* the list still shows the key */ }
});

// ---------------------------------------------------------------------------
// Live requests
// ---------------------------------------------------------------------------
const tbody = document.getElementById('requests');
const timeline = document.getElementById('timeline');
const bars = timeline.querySelector('.bars');
const axis = timeline.querySelector('.axis');
const stats = document.getElementById('req-stats');
const MAX_ROWS = 300;
const MAX_BARS = 600;
const LANE = 9; // px per lane
const IDLE_RESET_MS = 4000; // a new burst after this much quiet starts a fresh waterfall

/** What a URL is, for people: `{ kind, method, label, note }` or null for requests we don't show. */
function describe(href, method) {
  let url;
  try { url = new URL(href, location.href); } catch { return null; }
  const q = url.searchParams;
  const path = url.pathname;
  const base = (dz.getAttribute('endpoint') || '/s3').replace(/\/$/, '');
  if (path.startsWith(`${base}/`) || path === base) {
    const rest = path.slice(base.length);
    const short = `${base}${rest.replace(/^\/multipart\/[^/]+/, '/multipart/‹id›')}`;
    let m = method;
    let note = '';
    if (rest === '/multipart') { m ??= 'POST'; note = 'create upload'; }
    else if (/^\/multipart\/[^/]+\/batch$/.test(rest)) {
      m ??= 'GET';
      const nums = (q.get('partNumbers') ?? '').split(',').filter(Boolean);
      note = nums.length > 1 ? `sign parts ${nums[0]}–${nums.at(-1)}` : `sign part ${nums[0] ?? ''}`;
    } else if (/^\/multipart\/[^/]+\/complete$/.test(rest)) { m ??= 'POST'; note = 'complete'; }
    else if (/^\/multipart\/[^/]+\/\d+$/.test(rest)) { m ??= 'GET'; note = `sign part ${rest.split('/').pop()}`; }
    else if (/^\/multipart\/[^/]+$/.test(rest)) { m ??= 'GET'; note = m === 'DELETE' ? 'abort' : 'list parts'; }
    else if (rest === '/params') { m ??= 'GET'; note = 'sign a single PUT'; }
    else if (rest === '/download') { m ??= 'GET'; note = 'download link'; }
    return { kind: 'signer', method: m ?? 'GET', label: short, note };
  }
  // Anything carrying a SigV4 query signature is a presigned request to the bucket.
  if (!q.has('X-Amz-Signature') && !q.has('x-amz-signature')) return null;
  const object = decodeURIComponent(path.split('/').pop() || '');
  const part = q.get('partNumber');
  // Shown after the method chip, so the row reads "PUT part 3".
  if (part) return { kind: 'part', method: method ?? 'PUT', label: `part ${part}`, note: object };
  return { kind: 'single', method: method ?? 'PUT', label: 'object', note: object };
}

// Requests being drawn: id → record. A record is
// { id, kind, method, label, note, url, start, end, status, row, bar, lane, fromTiming }.
const records = new Map();
let nextId = 1;
let t0 = null; // start of the current waterfall
let lanes = []; // per lane: end time of its last request (Infinity while one runs)
let dirty = new Set();
const dirtyBars = new Set();
let frame = 0;
let lastActivity = -Infinity;
let peak = 0; // most part PUTs running at once in the current waterfall
let total = 0;

function inFlight(kind) {
  let n = 0;
  for (const r of records.values()) if (r.end == null && (!kind || r.kind === kind)) n += 1;
  return n;
}

/** Starts a fresh waterfall at `at`; requests still running move over to it. */
function resetWaterfall(at) {
  lanes = [];
  peak = 0;
  t0 = at;
  for (const [id, r] of records) {
    r.bar?.remove();
    r.bar = null;
    if (r.end != null) { records.delete(id); continue; }
    t0 = Math.min(t0 ?? r.start, r.start);
    r.lane = lanes.length;
    lanes.push(Infinity);
    touch(r);
  }
}

/** A request has started (or, seen only through Resource Timing, has started and ended). */
function begin({ url, method, start, end = null, status = null }) {
  const d = describe(url, method);
  if (!d) return null;
  if (inFlight() === 0 && start - lastActivity > IDLE_RESET_MS) resetWaterfall(start);
  if (records.size >= MAX_BARS) resetWaterfall(start);
  t0 ??= start;
  const rec = { id: nextId++, ...d, url, start, end, status, lane: 0, fromTiming: false };
  // Lanes: the first one free at `start`, so overlapping requests stack instead of hiding each other.
  let lane = lanes.findIndex((busyUntil) => busyUntil <= start);
  if (lane < 0) { lane = lanes.length; lanes.push(0); }
  lanes[lane] = end ?? Infinity;
  rec.lane = lane;
  records.set(rec.id, rec);
  total += 1;
  lastActivity = Math.max(lastActivity, end ?? start);
  peak = Math.max(peak, inFlight('part'));
  touch(rec);
  return rec;
}

function finish(rec, { end, status }) {
  if (rec.end != null && rec.fromTiming) { rec.status ??= status; return; } // Resource Timing already said
  rec.end = end;
  if (status) rec.status = status;
  lanes[rec.lane] = Math.max(end, lanes[rec.lane] === Infinity ? 0 : lanes[rec.lane]);
  lastActivity = Math.max(lastActivity, end);
  touch(rec);
}

function touch(rec) {
  dirty.add(rec);
  if (!frame) frame = requestAnimationFrame(flush);
}

// --- The page's own view of requests as they start and end -----------------
const open = new Map(); // absolute URL → records not yet matched with a timing entry (FIFO)

function track(url, method) {
  const abs = new URL(url, location.href).href;
  const rec = begin({ url: abs, method: method?.toUpperCase(), start: performance.now() });
  if (rec) open.set(abs, [...(open.get(abs) ?? []), rec]);
  return rec;
}

function untrack(rec) {
  const queue = open.get(rec.url);
  if (!queue) return;
  const rest = queue.filter((r) => r !== rec);
  if (rest.length) open.set(rec.url, rest); else open.delete(rec.url);
}

const realFetch = window.fetch;
window.fetch = function fetch(input, init) {
  const url = input instanceof Request ? input.url : String(input);
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  const rec = track(url, method);
  const p = realFetch.apply(this, arguments);
  if (rec) {
    p.then((res) => finish(rec, { end: performance.now(), status: res.status }),
      (err) => { untrack(rec); finish(rec, { end: performance.now(), status: err?.name === 'AbortError' ? 'aborted' : 'failed' }); });
  }
  return p;
};

const xhrOpen = XMLHttpRequest.prototype.open;
const xhrSend = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.open = function open(method, url, ...rest) {
  const info = { method, url: String(url), rec: null };
  if (!this.s3liftDemo) {
    // Listening from `open`, before the client adds its own listeners, so this one runs first: the
    // request counts as ended before the client's pool starts the next one.
    this.addEventListener('abort', () => { if (this.s3liftDemo.rec) this.s3liftDemo.rec.status = 'aborted'; });
    this.addEventListener('loadend', () => {
      const { rec } = this.s3liftDemo;
      if (!rec) return;
      this.s3liftDemo.rec = null;
      // A failed or aborted request may never get a Resource Timing entry: stop waiting for one.
      if (!this.status) untrack(rec);
      finish(rec, { end: performance.now(), status: this.status || (rec.status ?? 'failed') });
    });
  }
  this.s3liftDemo = info;
  return xhrOpen.call(this, method, url, ...rest);
};
XMLHttpRequest.prototype.send = function send(body) {
  const info = this.s3liftDemo;
  if (info) info.rec = track(info.url, info.method);
  return xhrSend.call(this, body);
};

// --- Resource Timing: the browser's exact figures --------------------------------
performance.setResourceTimingBufferSize?.(5000);
performance.addEventListener?.('resourcetimingbufferfull', () => performance.clearResourceTimings());

new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.initiatorType !== 'fetch' && e.initiatorType !== 'xmlhttprequest') continue;
    const queue = open.get(e.name);
    const rec = queue?.shift();
    if (queue && !queue.length) open.delete(e.name);
    const status = e.responseStatus || null; // 0 when the answer is not CORS-readable
    if (rec) {
      rec.start = e.startTime;
      rec.fromTiming = true;
      finish(rec, { end: e.startTime + e.duration, status: rec.status ?? status });
    } else {
      // Not seen starting (e.g. before this script ran): add it whole.
      const r = begin({ url: e.name, start: e.startTime, end: e.startTime + e.duration, status });
      if (r) r.fromTiming = true;
    }
  }
}).observe({ type: 'resource', buffered: true });

// --- Drawing, once per frame ---------------------------------------------------
const statusClass = (s) => (typeof s === 'number' ? (s < 300 ? 'ok' : s < 500 ? 'warn' : 'bad') : s === 'aborted' ? 'warn' : s ? 'bad' : '');

function row(rec) {
  const tr = el('tr', { className: rec.kind });
  const method = el('span', { className: `method m-${rec.method.toLowerCase()}`, textContent: rec.method });
  const what = el('td', { className: 'what' }, method, ' ', el('span', { className: 'path', textContent: rec.label }));
  if (rec.note) what.append(' ', el('span', { className: 'note', textContent: rec.note }));
  tr.append(what, el('td', { className: 'st' }), el('td', { className: 'ms' }));
  return tr;
}

function niceStep(span) {
  const steps = [50, 100, 250, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000];
  return steps.find((s) => span / s <= 6) ?? 600000;
}

function flush() {
  frame = 0;
  const now = performance.now();
  // Table rows: newest first, updated in place when a request finishes.
  for (const rec of dirty) {
    if (!rec.row) {
      rec.row = row(rec);
      tbody.prepend(rec.row);
      tbody.closest('.table-wrap')?.classList.add('has-rows');
    }
    const st = rec.row.children[1];
    st.textContent = rec.end == null ? '…' : (rec.status ?? '—');
    st.className = `st ${statusClass(rec.status)}`;
    rec.row.children[2].textContent = rec.end == null ? 'running' : `${Math.round(rec.end - rec.start)} ms`;
    rec.row.classList.toggle('running', rec.end == null);
  }
  for (const r of dirty) dirtyBars.add(r);
  dirty = new Set();
  while (tbody.children.length > MAX_ROWS) tbody.lastChild.remove();

  // Waterfall: bars carry their start and duration in ms (--s, --d); the CSS divides by the
  // span (--span), so a growing span is one style write, not one per bar.
  let end = t0 ?? now;
  for (const r of records.values()) end = Math.max(end, r.end ?? now);
  const span = Math.max(end - (t0 ?? now), 1000);
  bars.style.setProperty('--span', span.toFixed(1));
  for (const r of records.values()) {
    const fresh = !r.bar;
    if (fresh) {
      r.bar = el('div', { className: `bar ${r.kind}` });
      r.bar.style.top = `${r.lane * LANE}px`;
      bars.append(r.bar);
    }
    if (!fresh && !dirtyBars.has(r) && r.end != null) continue;
    const stop = r.end ?? now;
    r.bar.style.setProperty('--s', (r.start - t0).toFixed(1));
    r.bar.style.setProperty('--d', (stop - r.start).toFixed(1));
    r.bar.classList.toggle('running', r.end == null);
    r.bar.classList.toggle('failed', statusClass(r.status) === 'bad');
    r.bar.title = `${r.method} ${r.label}${r.note ? ` (${r.note})` : ''} · ${r.end == null ? 'running' : `${Math.round(stop - r.start)} ms`}`;
  }
  dirtyBars.clear();
  const laneCount = Math.max(lanes.length, 1);
  bars.style.height = `${laneCount * LANE}px`;
  timeline.classList.toggle('empty', records.size === 0);
  // Time axis.
  const step = niceStep(span);
  const ticks = [];
  for (let t = 0; t <= span; t += step) {
    const label = step >= 1000 ? `${t / 1000} s` : `${t} ms`;
    ticks.push(el('span', { textContent: label, style: `left: ${(t / span) * 100}%` }));
  }
  axis.replaceChildren(...ticks);
  const running = inFlight();
  stats.textContent = `${total} request${total === 1 ? '' : 's'} · ${inFlight('part')} parts in flight · up to ${peak} at once`;
  timeline.setAttribute('aria-label', `Waterfall of ${records.size} recent requests; up to ${peak} parts were sent at once`);
  // Keep drawing while something runs, so running bars grow.
  if (running) frame = requestAnimationFrame(flush);
}

document.getElementById('req-clear').addEventListener('click', () => {
  tbody.replaceChildren();
  tbody.closest('.table-wrap')?.classList.remove('has-rows');
  for (const r of records.values()) r.row = null;
  resetWaterfall(null); // running requests stay, with fresh rows
  total = records.size;
  if (!frame) frame = requestAnimationFrame(flush);
});
