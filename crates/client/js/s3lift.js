// The package's entry: wasm-bindgen's module (s3lift-wasm.js) as it is, and
// `worker: true`, which runs it in a dedicated module worker (s3lift-worker.js)
// behind the same API. Plumbing only: the page posts the File and the options,
// and turns the worker's messages back into callbacks, getters and `done`.
// Message keys (short: a minifier keeps them). To the worker: `O` the options (`fn`: a
// `headers` function), `r` records, `l` another tab's, `n` online, `id` with `F` a file and
// `o` its options or `c` a call, `h` with `v`/`e` the headers asked for. To the page: `f` a
// failure to start, `q` a record write, `h` a headers ask, `id` with `s` a snapshot, `E` and
// `v` a callback, `d` the end.
import { Uploader as Local } from './s3lift-wasm.js';
// `upload.fingerprint` at once, as on the page: the module's own function (scripts/build-client.sh
// points this at the snippet's place in the package).
import { fingerprint, stats, deferred, settle, network } from '../src/io.js';
export * from './s3lift-wasm.js';
export { default } from './s3lift-wasm.js';

export class Uploader extends Local {
  constructor(o) {
    if (o?.worker) return new Remote(o);
    super(o);
  }

  // `signal`, an AbortSignal (anything else is ignored): aborted already, it cancels the
  // upload before `upload()` returns; else its `abort` event does.
  upload(file, o) {
    const u = super.upload(file, o), s = o?.signal;
    if (typeof AbortSignal != 'undefined' && s instanceof AbortSignal) cancelOn(s, u);
    return u;
  }
}

// `signal` aborted already cancels `u` at once; else its `abort` event does.
const cancelOn = (s, u) => s.aborted ? u.cancel() : s.addEventListener('abort', () => u.cancel());

// `localStorage` is the page's: the worker gets the resume records (`s3lift:*`)
// with each upload, and its writes come back here.
function records() {
  try {
    return Object.entries(localStorage).filter(([k]) => k.startsWith('s3lift:'));
  } catch {
    return [];
  }
}

// Fields: `o` the options, `w` the worker, `u` the uploads, `h` the app's `headers`, `f` the
// worker's failure to start, `s` the storage listener, `n` the network watch (the snippet's `network`).
class Remote {
  constructor({ worker, headers, ...o }) {
    this.o = o;
    const w = (this.w = new Worker(new URL('./s3lift-worker.js', import.meta.url), { type: 'module' }));
    // The uploads by id (their index).
    this.u = [];
    w.onmessage = ({ data: m }) => this.on(m);
    w.onerror = () => this.on({ f: { message: 'the upload worker could not start', code: 'browser' } });
    // Another tab's record writes (the tab that held an upload before this one).
    addEventListener('storage', (this.s = (e) => e.key?.startsWith('s3lift:') && w.postMessage({ r: [[e.key, e.newValue]], l: 1 })));
    // The page's word on the network: a dedicated worker's own `online` event may never come
    // (Chromium: after an outage the worker stayed offline for good), so the page's events are passed on.
    this.n = network((n) => w.postMessage({ n }));
    const fn = typeof headers == 'function';
    this.h = headers;
    w.postMessage({ O: { ...o, headers: fn ? undefined : headers }, fn, r: records(), n: navigator.onLine !== false });
  }

  on(m) {
    if (m.h) {
      // A signer call wants the app's headers.
      const post = (r) => this.w.postMessage({ ...r, h: m.h });
      Promise.resolve().then(this.h).then((v) => post({ v }), () => post({ e: 1 }));
    } else if (m.q) {
      try { localStorage[m.q[1] == null ? 'removeItem' : 'setItem'](...m.q); } catch {}
    } else if (m.f) {
      this.f = m.f;
      for (const u of this.u) if (!u.x) u.e([false, m.f]);
    } else this.u[m.id]?.on(m);
  }

  upload(file, o = {}) {
    const { onProgress, onPartUploaded, onStateChange, signal, ...rest } = o;
    const u = new RemoteUpload(this.w, this.u.length, { onProgress, onPartUploaded, onStateChange });
    this.u.push(u);
    if (this.o.resume !== false) u.s.fingerprint = fingerprint(rest.relativePath, file, String(this.o.endpoint).replace(/\/+$/, ''));
    if (this.f) u.e([false, this.f]);
    else this.w.postMessage({ id: u.id, F: file, o: rest, r: records() });
    if (signal) cancelOn(signal, u);
    return u;
  }

  /** Stops the worker (and every upload in it). */
  free() {
    this.w.terminate();
    removeEventListener('storage', this.s);
    this.n.abort();
  }
}

// One upload in the worker: its getters mirror the worker's, updated with every message.
// Its fields (not the API; short, as a minifier keeps property names): `w` the worker,
// `b` the callbacks, `s` the snapshot, `d` `done` and its settle functions (the snippet's `deferred`), `x` whether it settled,
// `k` the page's call count; methods `f` (a fresh `done`), `e` (the end) and `c` (a call).
class RemoteUpload {
  constructor(w, id, b) {
    this.w = w;
    this.id = id;
    this.b = b;
    this.s = { state: 'queued', resumed: false, restarted: null, fingerprint: null, stats: stats(0, 0, 0, 0) };
    this.f();
  }

  f() {
    (this.d = deferred())[0].catch(() => {});
    this.x = false;
  }

  on(m) {
    // A snapshot the worker took before it had the page's last call keeps the page's answer
    // (`pause(); resume()`: 'uploading', not the worker's 'paused' of a moment before); an end's does not.
    if (m.s) { if (m.s.k != this.k && !m.d) m.s.state = this.s.state; this.s = m.s; }
    if (m.E) this.b[m.E]?.(m.v);
    if (m.d) this.e(m.d);
  }

  e([ok, v]) {
    // A second end (cancel after a failure) gets a fresh `done`, as on the page.
    if (this.x) this.f();
    this.x = true;
    const s = ok ? 'done' : v.code == 'cancelled' ? 'cancelled' : 'failed';
    // The worker told its upload's end already; one the worker never ran (it failed to start) is
    // told here, after `upload()` returns and before `done` settles, as on the page.
    if (this.s.state != s) queueMicrotask(() => this.b.onStateChange?.(s));
    this.s.state = s;
    settle(this.d, ok, ok ? v : Object.assign(new Error(v.message), v));
  }

  c(f) {
    this.k = -~this.k;
    this.w.postMessage({ id: this.id, c: f });
  }

  get done() { return this.d[0]; }
  get state() { return this.s.state; }
  get resumed() { return this.s.resumed; }
  get restarted() { return this.s.restarted; }
  get fingerprint() { return this.s.fingerprint; }
  get stats() { return this.s.stats; }

  // The page's own answers until the worker's next snapshot: an upload waiting for the network or
  // for another tab pauses too, and resumes into that wait (`w`: the worker's word on the Web Lock).
  pause() {
    if (/^(uploading|queued|offline|another-tab)$/.test(this.s.state)) this.s.state = 'paused';
    this.c('pause');
  }

  resume() {
    if (this.s.state == 'paused') this.s.state = this.s.w || (navigator.onLine ? 'uploading' : 'offline');
    this.c('resume');
  }

  // 'cancelled' at once, as on the page (an ended upload keeps its end until the worker's answer).
  cancel() {
    this.x || (this.s.state = 'cancelled');
    this.c('cancel');
  }

  retry() {
    if (this.s.state == 'failed') { this.f(); this.s.state = 'queued'; }
    this.c('retry');
  }
}
