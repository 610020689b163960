// The browser I/O of the s3lift driver, as plain JS: moving bytes and
// building objects costs far less here than through wasm-bindgen imports.
// Plumbing only: no retry, no limit, no plan. Every answer goes back to
// Rust as it came (status, headers, text), and the engine decides.

// A signer call (docs/protocol.md) from the fields `signer::request` (signer.rs) writes,
// `[...fields, kind]` (`null`: absent): `[method, path, body]` (no body for a GET or DELETE).
const q = encodeURIComponent;
// An object of `names` (space-separated) and `values`, in order; an absent value is no key.
const obj = (names, values) => Object.fromEntries(names.split(' ').map((n, i) => [n, values[i] ?? undefined]));
const FILE = 'filename type size relativePath ';
const QUERY = FILE + 'checksumCrc64nvme';
export function route(spec) {
  const a = JSON.parse(spec), k = a.pop(), [u, key, n, l] = a;
  const mp = (t) => `/multipart/${q(u)}${t}?key=${q(key)}`;
  return [
    () => ['POST', '/params', { files: a.map((f) => obj(QUERY + ' method', f)) }],
    () => ['GET', '/params?' + Object.entries({ ...obj('filename type', a), size: a[2] ?? 0, method: 'post', ...obj('relativePath checksumCrc64nvme', a.slice(3)) })
      .filter((e) => e[1] != null).map((e) => e[0] + '=' + q(e[1])).join('&')],
    () => ['POST', '/multipart', obj(FILE + 'metadata partSize checksumAlgorithm signParts', a)],
    () => ['GET', mp('/batch') + '&partNumbers=' + n + (l == null ? '' : '&checksums=' + q(l[0] + ':' + l.slice(1)))],
    () => ['GET', mp('/' + n)],
    () => ['GET', mp('')],
    () => ['POST', n ? '/multipart/complete' : mp('/complete'), {
      ...n ? { uploadId: u, key } : {},
      parts: l.map(([PartNumber, ETag]) => ({ PartNumber, ETag })),
      checksumCrc64nvme: a[4] ?? undefined,
      pending: a[5].length ? a[5] : undefined,
    }],
    () => ['DELETE', mp('')],
    () => ['POST', '/params/complete', { keys: a }],
  ][k]();
}

// Signer calls: `done(id, status, json, retryAfter)`; status 0 = no answer, 1 = the
// app's `headers` function threw.
export function signer(endpoint, spec, headers, id, done) {
  const c = new AbortController(), [method, path, b] = route(spec), body = b && JSON.stringify(b);
  (async () => {
    let h;
    try {
      h = await (typeof headers == 'function' ? headers() : headers);
    } catch {
      return done(id, 1);
    }
    const hs = new Headers({ accept: 'application/json' });
    if (h && typeof h == 'object') {
      for (const [k, v] of Object.entries(h)) {
        if (typeof v == 'string') try { hs.set(k, v); } catch {}
      }
    }
    if (body) hs.set('content-type', 'application/json');
    let r, t, j;
    try {
      r = await fetch(endpoint + path, { method, headers: hs, body, signal: c.signal });
      t = await r.text();
    } catch {
      return done(id, 0);
    }
    // JSON `null` as `{}` (no field either way): `undefined` is only "not JSON".
    try { j = JSON.parse(t || '{}') ?? {}; } catch {}
    done(id, r.status, j, r.ok ? null : r.headers.get('retry-after'));
  })();
  return c;
}

// A store request: a PUT of `file` whole (`start` -1) or of bytes `start..end` of it, or
// with `fields` a POST of their form with `file` last. `progress(id, bytesSent)`;
// `done(id, status, etag, errorText, retryAfter)`, status 0 = no answer.
// Returns what `abort` stops.
export function send(xhr, url, headers, file, start, end, fields, id, progress, done) {
  let body = start < 0 ? file : file.slice(start, end), method = fields ? 'POST' : 'PUT';
  if (fields) {
    body = new FormData();
    for (const [k, v] of Object.entries(JSON.parse(fields))) body.append(k, v);
    body.append('file', file);
  }
  // The browser sets Content-Length itself (it is signed, and matches).
  const hs = Object.entries(JSON.parse(headers)).filter(([k]) => k.toLowerCase() != 'content-length');
  const answer = (s, head, text) => {
    const ok = s > 199 && s < 300;
    // Failures only: on success, a header the store does not expose logs a console error.
    done(id, s, head('etag'), ok ? null : text(), ok ? null : head('retry-after'));
  };
  const fail = () => done(id, 0);
  if (xhr) {
    // XHR reports bytes as they leave; fetch has no upload progress over HTTP/1.1.
    const x = new XMLHttpRequest();
    try {
      x.open(method, url);
      for (const [k, v] of hs) try { x.setRequestHeader(k, v); } catch {}
      x.upload.onprogress = (e) => progress(id, e.loaded);
      x.onloadend = () => x.status ? answer(x.status, (n) => x.getResponseHeader(n), () => x.responseText) : fail();
      x.send(body);
    } catch {
      Promise.resolve().then(fail);
    }
    return x;
  }
  const c = new AbortController();
  fetch(url, { method, headers: hs, body, signal: c.signal }).then(async (r) => {
    const text = r.ok ? '' : await r.text().catch(() => '');
    if (r.ok && body instanceof Blob) progress(id, body.size);
    answer(r.status, (n) => r.headers.get(n), () => text);
  }, fail);
  return c;
}

// Stops what `signer`, `send`, `network` or `lock` returned (an
// AbortController, an XHR, or an object with `abort`).
export function abort(h) {
  h.abort();
}

// The digest module (crates/digest: CRC-32, CRC64NVME, MD5), s3lift-digest.wasm at
// the package's root (this file is snippets/<crate>/src/io.js there): fetched on
// first use, instantiated once. A failed load is forgotten: the next digest tries again.
// `?no-inline`: Vite (>= 5.3) would otherwise inline a file this small (under its 4 KB
// `assetsInlineLimit`) into the chunk as a data URL, which every upload then ships.
let digests;
const module = () => digests ??= fetch(new URL('../../../s3lift-digest.wasm?no-inline', import.meta.url))
  .then((r) => r.arrayBuffer()).then((b) => WebAssembly.instantiate(b))
  .then((m) => m.instance.exports, (e) => { digests = null; throw e; });

// The digest of bytes `start..end` of `blob` with algorithm `tag` (browser.rs: 0 is
// SHA-256 by WebCrypto, secure contexts only; 1 CRC-32, 2 CRC64NVME and 3 MD5 the
// digest module's): `done(file, part, value)`, in base64 (MD5 in hex, as an ETag holds
// it), undefined when the bytes could not be read or the digest module could not load.
// The digest module gets the part a piece at a time (`PIECE` bytes at most), so its memory
// stays one piece large whatever the part's size; between pieces this digest keeps its own
// copy of the module's state, since pieces of other parts' digests run in between (several
// digests at once also keep the reads and the digesting going side by side).
const PIECE = 4 << 20;
export async function digest(blob, start, end, tag, file, part, done) {
  let v;
  try {
    if (tag) {
      const x = await module();
      const at = (p, k) => new Uint8Array(x.memory.buffer, p, k);
      const s = new Uint8Array(x.state_len());
      for (let a = start, first = 1, last = 0; !last; a += PIECE, first = 0) {
        const to = Math.min(end, a + PIECE), b = new Uint8Array(await blob.slice(a, to).arrayBuffer()), n = b.byteLength;
        // A file shorter than it was: no digest (never one of other bytes).
        if (n != to - a) throw 0;
        last = to == end;
        // `buf` and `step` may grow the memory, which detaches the old `memory.buffer`:
        // read after each call.
        at(x.buf(n), n).set(b);
        first || at(x.state(), s.length).set(s);
        v = x.step(tag, n, first | last << 1);
        s.set(at(x.state(), s.length));
      }
      v = at(v, 2 << tag);
    } else v = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.slice(start, end).arrayBuffer()));
    v = tag > 2 ? Array.from(v, (c) => (c | 256).toString(16).slice(1)).join('') : btoa(String.fromCharCode(...v));
  } catch {
    v = undefined;
  }
  done(file, part, v);
}

// The browser's word on the network: `changed(onLine)` on `online` and
// `offline` (the window's, or the worker global's). Returns what `abort` stops.
export function network(changed) {
  const g = globalThis, on = () => changed(true), off = () => changed(false);
  g.addEventListener?.('online', on);
  g.addEventListener?.('offline', off);
  return { abort() {
    g.removeEventListener?.('online', on);
    g.removeEventListener?.('offline', off);
  } };
}

// One tab per upload (Web Locks): `granted(file, true)` once this tab holds
// lock `s3lift:<fp>` (`name`), at once or, after `granted(file, false)` (another tab holds
// it), when that tab lets go or closes. Held until `abort` stops what this
// returns, which also gives up waiting. Without Web Locks: granted at once.
export function lock(fp, file, granted) {
  const name = item(fp), locks = globalThis.navigator?.locks;
  const c = new AbortController();
  let release;
  const held = new Promise((r) => { release = r; });
  const hold = () => { if (!c.signal.aborted) granted(file, true); return held; };
  if (!locks?.request) {
    Promise.resolve().then(hold);
  } else {
    locks.request(name, { ifAvailable: true }, (l) => {
      if (l) return hold();
      granted(file, false);
      return locks.request(name, { signal: c.signal }, hold).catch(() => {});
    }).catch(() => {});
  }
  return { abort() { c.abort(); release(); } };
}

// `navigator.onLine` (true where the browser cannot tell); in the worker
// (`worker: true`), the page's word (s3lift-worker.js).
export function onLine() {
  return (globalThis.s3liftOnLine ?? globalThis.navigator?.onLine) !== false;
}

// `localStorage`, which may refuse (quota, privacy); in the worker
// (`worker: true`) the page's, through `s3liftStore` (s3lift-worker.js).
const store = () => globalThis.s3liftStore ?? localStorage;

// A resume record's key: `s3lift:<fingerprint>`.
const item = (fp) => 's3lift:' + fp;

// The JSON stored under fingerprint `fp`, parsed (`undefined` if absent or not JSON).
export function load(fp) {
  try { return JSON.parse(store().getItem(item(fp)) ?? ''); } catch {}
}

// Stores `value` under fingerprint `fp`, or removes its record with `''`.
export function save(fp, value) {
  try { value ? store().setItem(item(fp), value) : store().removeItem(item(fp)); } catch {}
}

// `[promise, resolve, reject]`: `done`, settled from Rust later.
export function deferred() {
  const d = [0];
  d[0] = new Promise((resolve, reject) => d.push(resolve, reject));
  return d;
}

export function settle(d, ok, v) {
  d[ok ? 1 : 2](v);
}

// A picked file's resume fingerprint: s3lift_protocol::resume::fingerprint (FNV-1a 64 over the
// path, else the name, then size, lastModified, type and the endpoint, each followed by 255; the
// numbers as 8 little-endian bytes), whose value a protocol test pins and tests/web.rs checks this
// against. The module's (Web Locks, resume records) and the entry's (`worker: true`: the page's
// `upload.fingerprint` at once). The fields are read as the module reads them: a string, else
// ''; a finite number, else 0, whole (a size at least 0).
// The hash runs on four 16-bit limbs, `a` the lowest: × 0x100000001b3 is × 0x1b3 (435) plus
// × 0x100 two limbs up (2^40), and every sum stays under 2^31. A BigInt step per byte and a
// TextEncoder per field made each `upload()` about 12 µs slower (10,000 files added to the
// dropzone: 350 -> 480 ms; 395 ms this way).
const encoder = new TextEncoder();
export function fingerprint(path, f, endpoint) {
  const text = (v) => typeof v == 'string' ? v : '', num = (v) => Math.trunc(typeof v == 'number' && isFinite(v) ? v : 0);
  const size = Math.max(0, num(f.size)), utf8 = (s) => encoder.encode(s);
  // The i64's 8 bytes in the platform's order: little-endian on every browser's platform, as Rust's to_le_bytes.
  const le = (n) => new Uint8Array(BigInt64Array.of(BigInt(n)).buffer);
  let a = 0x2325, b = 0x8422, c = 0x9ce4, d = 0xcbf2;
  for (const field of [utf8((typeof path == 'string' && path) || text(f.name)), le(size), le(num(f.lastModified)), utf8(text(f.type)), utf8(endpoint)]) {
    for (let i = 0; i <= field.length; i++) {
      a ^= i < field.length ? field[i] : 255;
      const t0 = a * 435, t1 = b * 435 + (t0 >>> 16), t2 = c * 435 + a * 256 + (t1 >>> 16);
      d = (d * 435 + b * 256 + (t2 >>> 16)) & 65535;
      a = t0 & 65535, b = t1 & 65535, c = t2 & 65535;
    }
  }
  return `${[d, c, b, a].map((l) => l.toString(16).padStart(4, '0')).join('')}-${size}`;
}

// `Reflect.get` without its exceptions: `undefined` for a primitive, or a
// getter that throws.
export function field(o, k) {
  try {
    // An object or a function: `Object(o)` is `o` itself only then.
    return Object(o) === o ? o[k] : undefined;
  } catch {
    return undefined;
  }
}

// What `v` is: 0 null or undefined, 1 an array, 2 another object, 3 a
// function, 4 `true`, 5 `false`, 6 anything else (one import for five of
// wasm-bindgen's tests).
export function kind(v) {
  return v == null ? 0 : Array.isArray(v) ? 1 : typeof v == 'object' ? 2 : typeof v == 'function' ? 3 : v === true ? 4 : v === false ? 5 : 6;
}

export function error(message, code, status, key) {
  const e = new Error(message);
  e.code = code;
  if (status) e.status = status;
  if (key) e.key = key;
  return e;
}

export function result(key, bucket, location, etag, confirmed, crc64nvme, restarted) {
  return { key, bucket: bucket ?? null, location: location ?? null, etag: etag ?? null, confirmed, checksum: crc64nvme ? { crc64nvme } : null, restarted: NAMES[restarted] };
}

// The app's `onProgress` and `onPartUploaded` run inside the driver's turn:
// one that throws must not unwind through it (every upload of the uploader
// would stall). Its error is thrown again on its own, where the app sees it.
const call = (f, v) => { try { f(v); } catch (e) { queueMicrotask(() => { throw e; }); } };

export function progress(f, bytesSent, totalBytes, bytesPerSecond, etaSeconds, restarted) {
  call(f, { bytesSent, totalBytes, bytesPerSecond, etaSeconds: etaSeconds < 0 ? null : etaSeconds, restarted: NAMES[restarted] });
}

export function part(f, partNumber, etag, size) {
  call(f, { partNumber, etag, size });
}

// The names of `driver::State` (crates/client/src/driver/state.rs), in its order; then
// `restarted`'s (`driver::restart`): 8 none, then s3lift_engine::Restart's, in its order.
const NAMES = ['queued', 'uploading', 'offline', 'another-tab', 'paused', 'done', 'failed', 'cancelled', null, 'file_changed'];

export function named(s) {
  return NAMES[s];
}

// `onStateChange` (`s`: the state's number): at the end of this turn, never inside the
// driver or the app's own call.
export function state(f, s) {
  queueMicrotask(() => f(NAMES[s]));
}

export function stats(partsUploaded, partRequests, bytesResent, retries) {
  return { partsUploaded, partRequests, bytesResent, retries };
}
