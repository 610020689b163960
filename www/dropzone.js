// <s3lift-dropzone>: drag-and-drop uploads straight to S3 through an s3lift signer.
//
//   <script type="module" src="s3lift/dropzone"></script>
//   <s3lift-dropzone endpoint="/s3" accept="image/*,.pdf" max-size="1073741824" multiple></s3lift-dropzone>
//   el.headers = { Authorization: 'Bearer …' };
//
// Attributes: endpoint, accept, max-size (bytes), concurrency, multiple, module (URL of s3lift.js).
// Property: headers. Events (bubbling, composed): s3lift-progress, s3lift-complete, s3lift-error.
// Theming: --s3lift-accent, --s3lift-bg, --s3lift-fg, --s3lift-muted, --s3lift-border, --s3lift-danger,
// --s3lift-success, --s3lift-radius, --s3lift-font; parts: dropzone, button, list, row, name, bar, status,
// actions, total, message.
// The wasm client is loaded on first use, so the widget never blocks the page.

const STYLE = `
:host { display: block; font: 14px/1.45 var(--s3lift-font, system-ui, -apple-system, "Segoe UI", sans-serif);
  color: var(--s3lift-fg, #1d2330); --_accent: var(--s3lift-accent, #3157d5); --_muted: var(--s3lift-muted, #667085);
  --_bg: var(--s3lift-bg, #fff); --_border: var(--s3lift-border, #d0d5dd); --_danger: var(--s3lift-danger, #c62828);
  --_success: var(--s3lift-success, #1b7f4b); --_radius: var(--s3lift-radius, 12px); }
@media (prefers-color-scheme: dark) { :host { color: var(--s3lift-fg, #e8eaf0); --_bg: var(--s3lift-bg, #171a21);
  --_border: var(--s3lift-border, #3a4050); --_muted: var(--s3lift-muted, #a0a7b8); --_accent: var(--s3lift-accent, #7c9cff); } }
* { box-sizing: border-box; }
.zone { border: 2px dashed var(--_border); border-radius: var(--_radius); background: var(--_bg); padding: 28px 16px;
  text-align: center; transition: border-color .15s, background .15s; }
.zone.over { border-color: var(--_accent); background: color-mix(in srgb, var(--_accent) 8%, var(--_bg)); }
.zone p { margin: 0 0 12px; color: var(--_muted); }
.zone strong { color: inherit; }
button { font: inherit; border-radius: 8px; border: 1px solid var(--_border); background: var(--_bg); color: inherit;
  padding: 6px 12px; cursor: pointer; min-height: 32px; }
button:hover { border-color: var(--_accent); }
button:focus-visible, a:focus-visible { outline: 3px solid color-mix(in srgb, var(--_accent) 60%, transparent); outline-offset: 2px; }
.choose { background: var(--_accent); border-color: var(--_accent); color: #fff; font-weight: 600; padding: 8px 18px; }
.total { margin: 12px 2px 6px; color: var(--_muted); font-variant-numeric: tabular-nums; min-height: 1.45em; }
ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 8px; }
li { border: 1px solid var(--_border); border-radius: var(--_radius); background: var(--_bg); padding: 10px 12px;
  display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 4px 12px; align-items: center; }
.name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.size { color: var(--_muted); font-weight: 400; margin-left: 6px; }
.actions { display: flex; gap: 6px; grid-row: span 2; }
.actions button { padding: 4px 10px; font-size: 13px; }
.bar { grid-column: 1 / -1; height: 6px; border-radius: 3px; background: color-mix(in srgb, var(--_border) 60%, transparent); overflow: hidden; }
.bar > div { height: 100%; width: 0; background: var(--_accent); transition: width .2s linear; }
@media (prefers-reduced-motion: reduce) { .bar > div, .zone { transition: none; } }
.status { grid-column: 1 / -1; color: var(--_muted); font-size: 13px; font-variant-numeric: tabular-nums;
  overflow-wrap: anywhere; }
li[data-state=done] .bar > div { background: var(--_success); transition: none; }
li[data-state=failed] .bar > div, li[data-state=cancelled] .bar > div { background: var(--_danger); }
li[data-state=failed] .status, .message { color: var(--_danger); }
li[data-state=done] .status { color: var(--_success); }
.message { margin: 8px 2px 0; }
.message:empty { display: none; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
a { color: var(--_accent); }
`;

const LABELS = { queued: 'Queued', uploading: 'Uploading', resuming: 'Resuming', paused: 'Paused', done: 'Done',
  failed: 'Failed', cancelled: 'Cancelled' };

export function formatBytes(n) {
  if (!Number.isFinite(n)) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
  return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

function formatEta(s) {
  if (s == null || !Number.isFinite(s)) return '';
  if (s < 60) return `${Math.ceil(s)} s left`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s left`;
  return `${Math.floor(s / 3600)} h ${Math.ceil((s % 3600) / 60)} min left`;
}

/** A human sentence for an upload error. */
export function describeError(e) {
  const status = e?.status ? ` (HTTP ${e.status})` : '';
  switch (e?.code) {
    case 'missing_token': case 'invalid_token': return `Not signed in, or the session expired${status}. Sign in and retry.`;
    case 'forbidden_key': return `Not allowed to write there${status}.`;
    case 'too_large': return `The file is larger than allowed${status}.`;
    case 'unsupported_type': return `This file type is not allowed${status}.`;
    case 'rate_limited': return `Too many uploads at once${status}; retry in a moment.`;
    case 'storage_unavailable': case 'storage_error': return `The storage is unreachable right now${status}. Retry in a moment.`;
    case 'network': return 'The network is unreachable. Check the connection and retry.';
    case 'retries_exhausted': return `${e.message}. Check the connection and retry.`;
    default: return e?.message || 'The upload failed.';
  }
}

function matchesAccept(file, accept) {
  if (!accept) return true;
  const name = file.name.toLowerCase();
  const type = (file.type || '').toLowerCase();
  return accept.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean).some((rule) => {
    if (rule.startsWith('.')) return name.endsWith(rule);
    if (rule.endsWith('/*')) return type.startsWith(rule.slice(0, -1));
    return type === rule;
  });
}

let clientPromise = null;
function loadClient(moduleUrl) {
  clientPromise ??= import(moduleUrl).then(async (m) => { await m.default(); return m; });
  return clientPromise;
}

export class S3liftDropzone extends HTMLElement {
  static observedAttributes = ['accept', 'multiple'];

  constructor() {
    super();
    this.headers = {};
    /** `{ file, upload, state, row }` for every file added. */
    this.uploads = [];
    this._uploader = null;
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>${STYLE}</style>
      <div class="zone" part="dropzone" role="group" aria-label="File upload. Drop files here or choose them.">
        <p><strong>Drop files here</strong> or</p>
        <button type="button" class="choose" part="button">Choose files</button>
        <input type="file" hidden>
      </div>
      <p class="message" part="message" role="alert"></p>
      <div class="total" part="total" aria-hidden="true"></div>
      <ul part="list" aria-label="Uploads"></ul>
      <div class="sr" aria-live="polite" aria-atomic="true"></div>`;
    this._zone = root.querySelector('.zone');
    this._input = root.querySelector('input');
    this._list = root.querySelector('ul');
    this._total = root.querySelector('.total');
    this._live = root.querySelector('[aria-live]');
    this._message = root.querySelector('.message');
    root.querySelector('.choose').addEventListener('click', () => this._input.click());
    this._input.addEventListener('change', () => { this.addFiles(this._input.files); this._input.value = ''; });
    this._zone.addEventListener('dragover', (e) => { e.preventDefault(); this._zone.classList.add('over'); });
    this._zone.addEventListener('dragleave', () => this._zone.classList.remove('over'));
    this._zone.addEventListener('drop', (e) => { e.preventDefault(); this._zone.classList.remove('over'); this._drop(e.dataTransfer); });
    this._frame = 0;
  }

  connectedCallback() { this.attributeChangedCallback(); }

  attributeChangedCallback() {
    this._input.multiple = this.hasAttribute('multiple');
    if (this.getAttribute('accept')) this._input.accept = this.getAttribute('accept');
  }

  get endpoint() { return this.getAttribute('endpoint') || '/s3'; }

  async _drop(dt) {
    if (!dt) return;
    const entries = [...(dt.items ?? [])].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
    if (entries.length && entries.some((e) => e.isDirectory)) {
      const files = [];
      const walk = async (entry) => {
        if (entry.isFile) files.push(await new Promise((ok, fail) => entry.file(ok, fail)));
        else if (entry.isDirectory) {
          const reader = entry.createReader();
          for (;;) {
            const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
            if (!batch.length) break;
            for (const e of batch) await walk(e);
          }
        }
      };
      for (const e of entries) await walk(e);
      this.addFiles(files);
    } else {
      this.addFiles(dt.files);
    }
  }

  /** Adds files (a FileList or an array): checks them, then uploads the valid ones. */
  addFiles(list) {
    let files = [...(list ?? [])];
    if (!this.hasAttribute('multiple') && files.length > 1) files = files.slice(0, 1);
    const max = Number(this.getAttribute('max-size') || Infinity);
    const accept = this.getAttribute('accept');
    const refused = [];
    for (const file of files) {
      if (!matchesAccept(file, accept)) refused.push(`${file.name}: this type is not accepted (accepted: ${accept}).`);
      else if (file.size > max) refused.push(`${file.name}: ${formatBytes(file.size)} is over the ${formatBytes(max)} limit.`);
      else this._start(file);
    }
    this._message.textContent = refused.join(' ');
    if (refused.length) this._announce(refused.join(' '));
  }

  async _uploaderReady() {
    if (!this._uploader) {
      const url = this.getAttribute('module') || new URL('./s3lift.js', import.meta.url).href;
      const { Uploader } = await loadClient(url);
      this._uploader = new Uploader({
        endpoint: this.endpoint,
        headers: () => this.headers,
        concurrency: Number(this.getAttribute('concurrency') || 6),
      });
    }
    return this._uploader;
  }

  _start(file) {
    const row = this._row(file);
    const item = { file, upload: null, state: 'queued', row, progress: { bytesSent: 0, totalBytes: file.size, bytesPerSecond: 0, etaSeconds: null } };
    this.uploads.push(item);
    this._render(item);
    this._run(item);
  }

  async _run(item) {
    let uploader;
    try { uploader = await this._uploaderReady(); } catch (e) {
      item.state = 'failed';
      item.error = { code: 'load_failed', message: `The uploader could not load: ${e.message}` };
      this._render(item);
      return;
    }
    item.upload = uploader.upload(item.file, {
      onProgress: (p) => {
        item.progress = p;
        if (item.upload?.resumed && item.state === 'uploading') item.state = 'resuming';
        this._schedule(item);
        this.dispatchEvent(new CustomEvent('s3lift-progress', { bubbles: true, composed: true, detail: { file: item.file, ...p } }));
      },
    });
    item.state = 'uploading';
    this._render(item);
    this._await(item);
  }

  async _await(item) {
    try {
      const result = await item.upload.done;
      item.state = 'done';
      item.result = result;
      item.progress = { ...item.progress, bytesSent: item.file.size };
      this._render(item);
      this._announce(`${item.file.name} uploaded.`);
      this._link(item);
      this.dispatchEvent(new CustomEvent('s3lift-complete', { bubbles: true, composed: true, detail: { file: item.file, result } }));
    } catch (e) {
      item.state = e?.code === 'cancelled' ? 'cancelled' : 'failed';
      item.error = { code: e?.code, status: e?.status, message: describeError(e) };
      this._render(item);
      this._announce(item.state === 'cancelled' ? `${item.file.name} cancelled.` : `${item.file.name} failed: ${item.error.message}`);
      if (item.state === 'failed') {
        this.dispatchEvent(new CustomEvent('s3lift-error', { bubbles: true, composed: true, detail: { file: item.file, error: item.error } }));
      }
    }
  }

  async _link(item) {
    try {
      const headers = typeof this.headers === 'function' ? await this.headers() : this.headers;
      const res = await fetch(`${this.endpoint}/download?key=${encodeURIComponent(item.result.key)}`, { headers });
      if (!res.ok) return;
      const { url } = await res.json();
      const a = document.createElement('a');
      a.href = url;
      a.textContent = 'Download';
      a.setAttribute('download', item.file.name);
      a.setAttribute('aria-label', `Download ${item.file.name}`);
      item.row.querySelector('.status').append(' · ', a);
    } catch { /* the link is a convenience */ }
  }

  _row(file) {
    const li = document.createElement('li');
    li.setAttribute('part', 'row');
    li.innerHTML = `<div class="name" part="name"></div><div class="actions" part="actions"></div>
      <div class="bar" part="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"><div></div></div>
      <div class="status" part="status"></div>`;
    li.querySelector('.name').textContent = file.name;
    const size = document.createElement('span');
    size.className = 'size';
    size.textContent = formatBytes(file.size);
    li.querySelector('.name').append(size);
    li.querySelector('.bar').setAttribute('aria-label', `${file.name} upload progress`);
    this._list.append(li);
    return li;
  }

  _schedule(item) {
    item.dirty = true;
    if (this._frame) return;
    this._frame = requestAnimationFrame(() => {
      this._frame = 0;
      for (const it of this.uploads) if (it.dirty) this._render(it);
    });
  }

  _render(item) {
    item.dirty = false;
    if (item.upload && item.state !== 'done' && item.state !== 'failed' && item.state !== 'cancelled') {
      const s = item.upload.state;
      if (s === 'paused') item.state = 'paused';
      else if (s === 'uploading') item.state = item.upload.resumed ? 'resuming' : 'uploading';
    }
    const { row, progress: p, state } = item;
    row.dataset.state = state;
    const pct = p.totalBytes ? Math.floor((p.bytesSent / p.totalBytes) * 100) : (state === 'done' ? 100 : 0);
    const bar = row.querySelector('.bar');
    bar.setAttribute('aria-valuenow', String(pct));
    bar.firstElementChild.style.width = `${pct}%`;
    const status = row.querySelector('.status');
    if (state === 'failed') status.textContent = `${LABELS.failed}: ${item.error?.message ?? ''}`;
    else if (state === 'done') status.textContent = `${LABELS.done} · ${formatBytes(item.file.size)}`;
    else if (state === 'uploading' || state === 'resuming') {
      const speed = p.bytesPerSecond ? ` · ${formatBytes(p.bytesPerSecond)}/s` : '';
      const eta = p.etaSeconds != null && pct < 100 ? ` · ${formatEta(p.etaSeconds)}` : '';
      status.textContent = `${LABELS[state]} · ${pct}%${speed}${eta}`;
    } else status.textContent = `${LABELS[state]}${pct ? ` · ${pct}%` : ''}`;
    this._actions(item);
    this._renderTotal();
  }

  _actions(item) {
    const want = { uploading: ['pause', 'cancel'], resuming: ['pause', 'cancel'], paused: ['resume', 'cancel'], failed: ['retry', 'cancel'], queued: ['cancel'] }[item.state] ?? [];
    const box = item.row.querySelector('.actions');
    if (box.dataset.shown === want.join()) return;
    box.dataset.shown = want.join();
    const focused = this.shadowRoot.activeElement?.dataset?.action;
    box.replaceChildren(...want.map((action) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.action = action;
      b.textContent = action[0].toUpperCase() + action.slice(1);
      b.setAttribute('aria-label', `${b.textContent} ${item.file.name}`);
      b.addEventListener('click', () => this._act(item, action));
      return b;
    }));
    // Keep keyboard users in place: pause ↔ resume swap focus to the new button.
    if (focused && box.contains(this.shadowRoot.activeElement) === false) {
      const next = box.querySelector(`[data-action=${{ pause: 'resume', resume: 'pause', retry: 'pause' }[focused] ?? focused}]`) ?? box.querySelector('button');
      next?.focus();
    }
  }

  _act(item, action) {
    const u = item.upload;
    if (!u) return;
    if (action === 'pause') { u.pause(); item.state = 'paused'; this._announce(`${item.file.name} paused.`); }
    if (action === 'resume') { u.resume(); item.state = 'uploading'; this._announce(`${item.file.name} resumed.`); }
    if (action === 'cancel') { u.cancel(); }
    if (action === 'retry') { u.retry(); item.state = 'uploading'; item.error = null; this._await(item); this._announce(`Retrying ${item.file.name}.`); }
    this._render(item);
  }

  _renderTotal() {
    const active = this.uploads.filter((u) => u.state !== 'cancelled');
    if (!active.length) { this._total.textContent = ''; return; }
    const total = active.reduce((s, u) => s + u.file.size, 0);
    const sent = active.reduce((s, u) => s + (u.state === 'done' ? u.file.size : u.progress.bytesSent), 0);
    const speed = active.reduce((s, u) => s + (u.state === 'uploading' || u.state === 'resuming' ? u.progress.bytesPerSecond || 0 : 0), 0);
    const done = active.filter((u) => u.state === 'done').length;
    const pct = total ? Math.floor((sent / total) * 100) : 100;
    this._total.textContent = `${done} of ${active.length} file${active.length > 1 ? 's' : ''} done · ${pct}%${speed ? ` · ${formatBytes(speed)}/s` : ''}`;
  }

  _announce(text) {
    // Re-set so repeated messages are announced again.
    this._live.textContent = '';
    requestAnimationFrame(() => { this._live.textContent = text; });
  }
}


if (!customElements.get('s3lift-dropzone')) customElements.define('s3lift-dropzone', S3liftDropzone);
