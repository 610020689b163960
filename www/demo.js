// The demo page: the widget, the objects it uploaded, and the live request panel.
const dz = document.getElementById('dz');
const token = new URLSearchParams(location.search).get('token');
if (token) dz.headers = { Authorization: `Bearer ${token}` };

const objects = document.getElementById('objects');
dz.addEventListener('s3lift-complete', async (e) => {
  const { file, result } = e.detail;
  objects.querySelector('.empty')?.remove();
  const li = document.createElement('li');
  const name = document.createElement('span');
  name.textContent = result.key;
  li.append(name);
  objects.prepend(li);
  try {
    const res = await fetch(`/s3/download?key=${encodeURIComponent(result.key)}`, { headers: dz.headers });
    if (res.ok) {
      const a = document.createElement('a');
      a.href = (await res.json()).url;
      a.textContent = `Download ${file.name}`;
      li.append(' ', a);
    }
  } catch { /* the list still shows the key */ }
});

// Live requests, from Resource Timing: never the query string (it holds signatures).
const rows = document.getElementById('requests');
const timeline = document.getElementById('timeline');
const pending = [];
let t0 = null;
let frame = 0;
performance.setResourceTimingBufferSize(10000);

function describe(entry) {
  const url = new URL(entry.name);
  const part = url.searchParams.get('partNumber');
  if (part) return { kind: 'part', label: `PUT part ${part}` };
  if (url.pathname.startsWith('/s3/')) {
    const p = url.pathname.replace(/\/s3\/multipart\/[^/]+/, '/s3/multipart/{id}');
    return { kind: 'signer', label: p };
  }
  if (url.search.includes('X-Amz-Signature')) return { kind: 'part', label: 'PUT object' };
  return null;
}

new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.initiatorType !== 'xmlhttprequest' && e.initiatorType !== 'fetch') continue;
    const d = describe(e);
    if (d) pending.push({ ...d, start: e.startTime, duration: e.duration, status: e.responseStatus });
  }
  if (pending.length && !frame) frame = requestAnimationFrame(flush);
}).observe({ type: 'resource', buffered: true });

function flush() {
  frame = 0;
  const batch = pending.splice(0);
  if (!batch.length) return;
  t0 ??= batch[0].start;
  const end = Math.max(...batch.map((b) => b.start + b.duration), ...[...timeline.children].map((c) => Number(c.dataset.end)));
  const span = Math.max(end - t0, 1);
  for (const b of batch) {
    const tr = document.createElement('tr');
    tr.className = b.kind;
    for (const text of [b.label, b.status || '—', `${Math.round(b.duration)} ms`]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    rows.prepend(tr);
    const bar = document.createElement('div');
    bar.className = `tl ${b.kind}`;
    bar.dataset.start = b.start;
    bar.dataset.end = b.start + b.duration;
    bar.title = `${b.label}: ${Math.round(b.duration)} ms`;
    timeline.append(bar);
  }
  while (rows.children.length > 200) rows.lastChild.remove();
  while (timeline.children.length > 400) timeline.firstChild.remove();
  // Lay bars out in lanes so overlapping requests stack.
  const lanes = [];
  for (const bar of timeline.children) {
    const s = Number(bar.dataset.start);
    const e = Number(bar.dataset.end);
    let lane = lanes.findIndex((last) => last <= s);
    if (lane < 0) { lane = lanes.length; lanes.push(e); } else lanes[lane] = e;
    bar.style.left = `${((s - t0) / span) * 100}%`;
    bar.style.width = `${Math.max(((e - s) / span) * 100, 0.3)}%`;
    bar.style.top = `${lane * 7}px`;
  }
  timeline.style.height = `${Math.max(lanes.length * 7, 28)}px`;
}
