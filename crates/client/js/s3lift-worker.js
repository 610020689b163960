// `worker: true`: the s3lift engine, its requests and its digests in a
// dedicated module worker. Plumbing only (see s3lift.js, the page side, for
// the message keys).
import init, { Uploader } from './s3lift-wasm.js';

const records = new Map();
// Keys written here: a page snapshot taken before the page saw the write must not undo it.
const mine = new Set();
// No `localStorage` here: io.js reads and writes the page's records through this.
globalThis.s3liftStore = {
  getItem: (k) => records.get(k) ?? null,
  setItem: (k, v) => { mine.add(k); records.set(k, v); postMessage({ q: [k, v] }); },
  removeItem: (k) => { mine.add(k); records.delete(k); postMessage({ q: [k] }); },
};
const ready = init();
const uploads = new Map();
const asks = new Map();
let up, fail, asked = 0;

// `k`: how many of the page's calls it had (s3lift.js keeps its own answer until the count matches).
// `w`: what a paused upload resumes into while it waits for its Web Lock ('queued': no answer yet).
const snap = (u) => ({ state: u.state, resumed: u.resumed, restarted: u.restarted, fingerprint: u.fingerprint, stats: u.stats, k: u.k,
  w: (u.w = u.state == 'paused' ? u.w : /^(queued|another-tab)$/.test(u.state) && u.state) });

// The lock's answer to a paused upload tells nothing (io.js `lock`: a null lock is another tab's):
// the page hears it here, or its resume() would guess 'uploading' until the worker's snapshot.
const locks = navigator.locks, request = locks?.request;
if (request) locks.request = (name, o, f) => request.call(locks, name, o, (l) => {
  const r = f(l);
  for (const [id, u] of uploads) if (u.w && name == 's3lift:' + u.fingerprint) u.w = !l && 'another-tab', postMessage({ id, s: snap(u) });
  return r;
});

function watch(id, u) {
  u.done.then(
    (v) => postMessage({ id, d: [true, v], s: snap(u) }),
    (e) => postMessage({ id, d: [false, { message: e.message, code: e.code, status: e.status, key: e.key }], s: snap(u) }),
  );
}

onmessage = async ({ data: m }) => {
  // The records (`r`): snapshots (with the options and each upload), and another tab's writes (`l`).
  for (const [k, v] of m.r ?? []) if (m.l || !mine.has(k)) v == null ? records.delete(k) : records.set(k, v);
  if (m.n != null) {
    // io.js `onLine()` reads this, and its `network()` hears the event.
    globalThis.s3liftOnLine = m.n;
    if (!m.O) return dispatchEvent(new Event(m.n ? 'online' : 'offline'));
  }
  if (m.h) {
    asks.get(m.h)?.(m);
    asks.delete(m.h);
    return;
  }
  try {
    await ready;
  } catch {
    fail ??= { message: 'the upload worker could not load its module', code: 'browser' };
  }
  if (m.O) {
    // The Uploader's options (`O`), once, first.
    const o = m.O;
    if (m.fn) o.headers = () => new Promise((ok, no) => { asks.set(++asked, (a) => (a.e ? no() : ok(a.v))); postMessage({ h: asked }); });
    try {
      if (!fail) up = new Uploader(o);
    } catch (e) {
      fail = { message: e.message, code: e.code };
    }
    if (fail) postMessage({ f: fail });
  } else if (m.F) {
    if (!up) return postMessage({ id: m.id, d: [false, fail] });
    const send = (E) => (v) => postMessage({ id: m.id, E, v, s: snap(u) });
    const u = up.upload(m.F, { ...m.o, onProgress: send('onProgress'), onPartUploaded: send('onPartUploaded'), onStateChange: send('onStateChange') });
    uploads.set(m.id, u);
    postMessage({ id: m.id, s: snap(u) });
    watch(m.id, u);
  } else if (m.c) {
    const u = uploads.get(m.id);
    if (!u) return;
    const done = u.done;
    u.k = -~u.k;
    u[m.c]();
    // `retry` after a failure, `cancel` after one: a fresh `done`.
    if (u.done !== done) watch(m.id, u);
    postMessage({ id: m.id, s: snap(u) });
  }
};
