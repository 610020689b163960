// A stand-in for the `s3lift` wasm package, with the same JS API, for tests of
// <s3lift-dropzone> that need exact control of time and failures (the real
// client is tested against the real signer and Garage in client/dropzone tests).
//
// Nothing is sent anywhere: progress is simulated on a timer. Controls live on
// `globalThis.s3liftMock`:
//   speed            bytes per second each upload advances (default 4 MB/s)
//   tickMs           timer period (default 50 ms)
//   failAt           { [fileName]: { at: fraction 0..1, code, status, message } } — fail once at that point
//   resumedNames     names whose upload "continues one from before a reload" (starts at 40 %)
//   hold             true: uploads stay queued until set back to false
//   initCalls, uploaders, uploads   what the widget did
//   fail(name, err)  fails the running upload of `name` now
//   complete(name)   jumps the upload of `name` to done

const mock = (globalThis.s3liftMock ??= {
  speed: 4_000_000,
  tickMs: 50,
  failAt: {},
  resumedNames: new Set(),
  hold: false,
  initCalls: 0,
  uploaders: [],
  uploads: [],
});
mock.fail = (name, err) => mock.uploads.filter((u) => u.file.name === name).forEach((u) => u._fail(err));
mock.complete = (name) => mock.uploads.filter((u) => u.file.name === name).forEach((u) => u._finish());

function uploadError(code, message, status) {
  const e = new Error(message);
  e.code = code;
  if (status) e.status = status;
  return e;
}

function deferred() {
  const d = {};
  d.promise = new Promise((ok, fail) => { d.resolve = ok; d.reject = fail; });
  d.promise.catch(() => {}); // the widget may not be listening yet; no unhandled rejection noise
  return d;
}

/** Like wasm-bindgen's default `init`: loads the module once. */
export default async function init() {
  mock.initCalls += 1;
  await new Promise((r) => setTimeout(r, 30));
}

export class Uploader {
  constructor(options) {
    if (!options?.endpoint) throw uploadError('bad_option', '`endpoint` is required');
    this.options = options;
    this.concurrency = options.concurrency ?? 6;
    this.running = new Set();
    this.waiting = [];
    mock.uploaders.push(this);
  }

  upload(file, options = {}) {
    const u = new Upload(this, file, options);
    mock.uploads.push(u);
    this.waiting.push(u);
    queueMicrotask(() => this._pump());
    return u;
  }

  /** Starts queued uploads while there is room (the real client shares a pool of requests the same way). */
  _pump() {
    if (mock.hold) { setTimeout(() => this._pump(), mock.tickMs); return; }
    while (this.running.size < this.concurrency && this.waiting.length) {
      const u = this.waiting.shift();
      if (u.state !== 'queued') continue;
      this.running.add(u);
      u._begin();
    }
  }

  _release(u) {
    this.running.delete(u);
    this.waiting = this.waiting.filter((w) => w !== u);
    this._pump();
  }
}

export class Upload {
  constructor(uploader, file, options) {
    this.uploader = uploader;
    this.file = file;
    this.options = options;
    this.state = 'queued';
    this.resumed = mock.resumedNames.has(file.name);
    this.sent = this.resumed ? Math.floor(file.size * 0.4) : 0;
    this.calls = [];
    this._done = deferred();
    this._timer = 0;
    this._failRule = mock.failAt[file.name] ?? null;
  }

  get done() { return this._done.promise; }

  async _begin() {
    this.state = 'uploading';
    // The real client calls the signer with the headers; the mock resolves them the same way.
    const h = this.uploader.options.headers;
    this.headersSeen = typeof h === 'function' ? await h() : h;
    if (this.state !== 'uploading') return;
    this._last = performance.now();
    this._timer = setInterval(() => this._tick(), mock.tickMs);
    this._report(0);
  }

  _tick() {
    if (this.state !== 'uploading') return;
    const now = performance.now();
    const dt = (now - this._last) / 1000;
    this._last = now;
    this.sent = Math.min(this.file.size, this.sent + mock.speed * dt);
    if (this._failRule && this.sent >= this.file.size * this._failRule.at) {
      const { code = 'network', status, message = 'The network failed' } = this._failRule;
      this._failRule = null; // once: Retry succeeds
      this._fail({ code, status, message });
      return;
    }
    this._report(mock.speed);
    if (this.sent >= this.file.size) this._finish();
  }

  _report(speed) {
    const remaining = this.file.size - this.sent;
    this.options.onProgress?.({
      bytesSent: Math.floor(this.sent),
      totalBytes: this.file.size,
      bytesPerSecond: speed,
      etaSeconds: speed > 0 ? remaining / speed : null,
    });
  }

  _stop() {
    clearInterval(this._timer);
    this._timer = 0;
    this.uploader._release(this);
  }

  _finish() {
    if (this.state === 'done' || this.state === 'cancelled') return;
    this.sent = this.file.size;
    this._report(0);
    this._stop();
    this.state = 'done';
    const key = `uploads/anonymous/${crypto.randomUUID()}/${this.file.name}`;
    this._done.resolve({ key, bucket: 'mock-bucket', location: `http://store.invalid/mock-bucket/${key}`, etag: '"mock-etag"' });
  }

  _fail({ code = 'network', status, message = 'The upload failed' } = {}) {
    if (this.state !== 'uploading' && this.state !== 'queued') return;
    this._stop();
    this.state = 'failed';
    this._done.reject(uploadError(code, message, status));
  }

  pause() {
    this.calls.push('pause');
    if (this.state !== 'uploading' && this.state !== 'queued') return;
    clearInterval(this._timer);
    this._timer = 0;
    this.state = 'paused';
    this._report(0);
  }

  resume() {
    this.calls.push('resume');
    if (this.state !== 'paused') return;
    this.state = 'uploading';
    this._last = performance.now();
    this._timer = setInterval(() => this._tick(), mock.tickMs);
  }

  cancel() {
    this.calls.push('cancel');
    const was = this.state;
    if (was === 'done' || was === 'cancelled') return;
    this._stop();
    this.state = 'cancelled';
    // As the real client: a failed upload's `done` already settled, so a fresh one rejects as cancelled.
    if (was === 'failed') this._done = deferred();
    this._done.reject(uploadError('cancelled', 'The upload was cancelled'));
  }

  retry() {
    this.calls.push('retry');
    if (this.state !== 'failed') return;
    this._done = deferred();
    this.state = 'queued';
    this.uploader.waiting.push(this);
    this.uploader._pump();
  }
}
