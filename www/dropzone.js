// <s3lift-dropzone>: drag-and-drop uploads straight to S3 through an s3lift signer.
//
//   <script type="module" src="s3lift/dropzone"></script>
//   <s3lift-dropzone endpoint="/s3" accept="image/*,.pdf" max-size="1073741824" multiple></s3lift-dropzone>
//   el.headers = { Authorization: 'Bearer …' };   // or a function returning them, for token refresh
//
// Attributes: endpoint (default /s3), accept, max-size (bytes), concurrency (default 6), multiple,
//   module (URL of s3lift.js, resolved against the document; default: ./s3lift.js next to this file).
// Properties: headers, uploads (read-only). Methods: addFiles(files), clear().
// Events (bubbling, composed): s3lift-progress, s3lift-complete, s3lift-error.
// Theming: --s3lift-accent, --s3lift-bg, --s3lift-fg, --s3lift-muted, --s3lift-border, --s3lift-danger,
//   --s3lift-success, --s3lift-radius, --s3lift-font.
// Parts: dropzone, button (every button; also choose | action | clear), list, row, icon, name, bar, status,
//   actions, total, message.
//
// The wasm client is imported and initialised on first use, never at page load,
// so the widget costs the page one small script until someone picks a file.

const STYLE = `
:host {
  display: block; position: relative; container-type: inline-size;
  font: 14px/1.45 var(--s3lift-font, ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  --_accent: var(--s3lift-accent, #2f5bea); --_on-accent: #fff;
  --_bg: var(--s3lift-bg, #fff); --_fg: var(--s3lift-fg, #0f172a); --_muted: var(--s3lift-muted, #64748b);
  --_border: var(--s3lift-border, #e2e8f0); --_danger: var(--s3lift-danger, #b42318);
  --_success: var(--s3lift-success, #15803d); --_radius: var(--s3lift-radius, 14px);
  --_track: color-mix(in srgb, var(--_fg) 8%, transparent);
  color: var(--_fg);
}
@media (prefers-color-scheme: dark) {
  :host {
    --_accent: var(--s3lift-accent, #8aa8ff); --_on-accent: #0b1020;
    --_bg: var(--s3lift-bg, #151a23); --_fg: var(--s3lift-fg, #e6e9ef); --_muted: var(--s3lift-muted, #9aa4b2);
    --_border: var(--s3lift-border, #2a3240); --_danger: var(--s3lift-danger, #f87171);
    --_success: var(--s3lift-success, #4ade80); --_track: color-mix(in srgb, var(--_fg) 12%, transparent);
  }
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
svg { width: 18px; height: 18px; fill: none; stroke: currentColor; stroke-width: 2; stroke-linecap: round;
  stroke-linejoin: round; flex: none; }
button, a.btn { font: inherit; color: inherit; cursor: pointer; -webkit-tap-highlight-color: transparent; }
:focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px; }

/* Drop area */
.zone { display: flex; flex-direction: column; align-items: center; gap: 10px; padding: 28px 20px 22px;
  text-align: center; cursor: pointer; border: 1.5px dashed color-mix(in srgb, var(--_muted) 45%, transparent);
  border-radius: var(--_radius); background: color-mix(in srgb, var(--_accent) 3%, var(--_bg));
  transition: border-color .15s, background-color .15s, box-shadow .15s; }
.zone:hover { border-color: color-mix(in srgb, var(--_accent) 60%, transparent); }
.zone.over { border-color: var(--_accent); border-style: solid;
  background: color-mix(in srgb, var(--_accent) 9%, var(--_bg));
  box-shadow: 0 0 0 4px color-mix(in srgb, var(--_accent) 14%, transparent); }
.glyph { display: grid; place-items: center; width: 48px; height: 48px; border-radius: 50%;
  color: var(--_accent); background: color-mix(in srgb, var(--_accent) 13%, transparent); transition: transform .2s; }
.glyph svg { width: 24px; height: 24px; }
.zone.over .glyph { transform: translateY(-3px) scale(1.06); }
.lead { margin: 2px 0 0; font-weight: 600; font-size: 15px; }
.lead span { font-weight: 400; color: var(--_muted); }
.choose { display: inline-flex; align-items: center; gap: 8px; min-height: 40px; padding: 0 18px;
  border: 0; border-radius: 10px; background: var(--_accent); color: var(--_on-accent); font-weight: 600;
  box-shadow: 0 1px 2px rgb(0 0 0 / .12); transition: filter .15s, transform .05s; }
.choose:hover { filter: brightness(1.08); }
.choose:active { transform: translateY(1px); }
.hint { margin: 0; font-size: 12.5px; color: var(--_muted); }

/* Refused files */
.notice { display: none; align-items: flex-start; gap: 8px; margin-top: 12px; padding: 10px 8px 10px 12px;
  border-radius: 10px; color: var(--_danger); background: color-mix(in srgb, var(--_danger) 9%, var(--_bg));
  border: 1px solid color-mix(in srgb, var(--_danger) 25%, transparent); }
.notice.shown { display: flex; }
.notice > svg { margin-top: 1px; }
.message { flex: 1; min-width: 0; overflow-wrap: anywhere; }
.message div + div { margin-top: 2px; }

/* Summary line */
.summary { display: flex; align-items: center; justify-content: space-between; gap: 8px; margin: 16px 2px 8px; }
.summary:not(.shown) { display: none; }
.total { color: var(--_muted); font-size: 13px; font-variant-numeric: tabular-nums; min-width: 0; }
.clear { border: 0; background: none; padding: 4px 6px; border-radius: 6px; color: var(--_muted); font-size: 13px;
  white-space: nowrap; }
.clear:hover { color: var(--_fg); background: var(--_track); }

/* Rows */
ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 8px; }
li { display: grid; grid-template-columns: auto minmax(0, 1fr) auto; grid-template-areas: "icon head actions" "icon prog prog";
  align-items: center; column-gap: 12px; padding: 10px 10px 12px 12px; border: 1px solid var(--_border); border-radius: calc(var(--_radius) - 2px);
  background: var(--_bg); box-shadow: 0 1px 2px rgb(15 23 42 / .04); }
.icon { grid-area: icon; --_k: var(--_accent); position: relative; display: grid; place-items: center; width: 38px; height: 38px;
  border-radius: 10px; color: var(--_k); background: color-mix(in srgb, var(--_k) 13%, transparent);
  font: 700 10px/1 ui-monospace, SFMono-Regular, Menlo, monospace; letter-spacing: .02em; text-transform: uppercase; }
.icon[data-kind=image] { --_k: #8b5cf6; } .icon[data-kind=video] { --_k: #db2777; }
.icon[data-kind=audio] { --_k: #d97706; } .icon[data-kind=doc] { --_k: #dc2626; }
.icon[data-kind=archive] { --_k: #0d9488; }
.icon svg { display: none; width: 20px; height: 20px; stroke-width: 2.4; }
li[data-state=done] .icon { --_k: var(--_success); }
li[data-state=failed] .icon { --_k: var(--_danger); }
li[data-state=done] .icon .ok, li[data-state=failed] .icon .bad { display: block; }
li[data-state=done] .icon .ext, li[data-state=failed] .icon .ext { display: none; }
.head { grid-area: head; display: flex; align-items: baseline; gap: 8px; min-width: 0; }
.progress { grid-area: prog; min-width: 0; padding-right: 2px; }
.name { font-weight: 600; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.size { flex: none; color: var(--_muted); font-size: 12.5px; font-variant-numeric: tabular-nums; }
.bar { height: 6px; margin: 2px 0 6px; border-radius: 999px; background: var(--_track); overflow: hidden; }
.fill { position: relative; height: 100%; width: 0; border-radius: inherit; background: var(--_accent);
  transition: width .25s linear; overflow: hidden; }
li:is([data-state=uploading], [data-state=resuming]) .fill::after { content: ""; position: absolute; inset: 0;
  background: linear-gradient(90deg, transparent, rgb(255 255 255 / .35), transparent);
  transform: translateX(-100%); animation: sheen 1.6s ease-in-out infinite; }
@keyframes sheen { to { transform: translateX(100%); } }
li[data-state=paused] .fill, li[data-state=queued] .fill { background: color-mix(in srgb, var(--_muted) 65%, transparent); }
li[data-state=done] .fill { background: var(--_success); }
li[data-state=failed] .fill { background: var(--_danger); }
li[data-state=cancelled] .fill { background: color-mix(in srgb, var(--_muted) 40%, transparent); }
li[data-state=cancelled] :is(.head, .progress) { opacity: .6; }
.status { color: var(--_muted); font-size: 12.5px; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.label { font-weight: 600; }
li:is([data-state=uploading], [data-state=resuming]) .label { color: var(--_accent); }
li[data-state=done] .label { color: var(--_success); }
li[data-state=failed] .status { color: var(--_danger); }

/* Row buttons */
.actions { grid-area: actions; display: flex; align-items: center; justify-content: flex-end; gap: 2px; }
.act { display: inline-flex; align-items: center; justify-content: center; gap: 6px; min-width: 34px; height: 34px;
  padding: 0 8px; border: 0; border-radius: 9px; background: none; color: var(--_muted); text-decoration: none;
  font-size: 13px; font-weight: 600; white-space: nowrap; transition: background-color .15s, color .15s; }
.act:hover { background: var(--_track); color: var(--_fg); }
.act[data-action=cancel]:hover { color: var(--_danger); background: color-mix(in srgb, var(--_danger) 10%, transparent); }
.act[data-action=download], .act[data-action=retry] { color: var(--_accent); }
.act[data-action=download]:hover, .act[data-action=retry]:hover {
  background: color-mix(in srgb, var(--_accent) 12%, transparent); color: var(--_accent); }
.act .text { display: none; }
@container (min-width: 440px) { .act:is([data-action=download], [data-action=retry]) .text { display: inline; } }
@container (max-width: 340px) {
  .icon { display: none; }
  li { grid-template-columns: minmax(0, 1fr) auto; grid-template-areas: "head actions" "prog prog"; column-gap: 8px; }
}

.sr { position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; border: 0; }
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { transition: none !important; animation: none !important; }
  .zone.over .glyph { transform: none; }
}
`;

// Feather-style 24×24 stroke icons.
const ICONS = {
  upload: '<path d="M12 15V4m0 0L7.5 8.5M12 4l4.5 4.5"/><path d="M4 14v3.5A2.5 2.5 0 0 0 6.5 20h11a2.5 2.5 0 0 0 2.5-2.5V14"/>',
  pause: '<path d="M9 6.5v11M15 6.5v11" stroke-width="2.6"/>',
  resume: '<path d="M8 5.8v12.4a.6.6 0 0 0 .9.5l9.7-6.2a.6.6 0 0 0 0-1L8.9 5.3a.6.6 0 0 0-.9.5z"/>',
  cancel: '<path d="M6.5 6.5l11 11m0-11l-11 11"/>',
  retry: '<path d="M20 12a8 8 0 1 1-2.4-5.7"/><path d="M20 4.5v5h-5"/>',
  download: '<path d="M12 4v11m0 0l-4.5-4.5M12 15l4.5-4.5"/><path d="M5 19.5h14"/>',
  remove: '<path d="M6.5 6.5l11 11m0-11l-11 11"/>',
  ok: '<path d="M5 12.5l4.5 4.5L19 7.5"/>',
  bad: '<path d="M12 7v6.5M12 17.2v.1"/>',
  alert: '<circle cx="12" cy="12" r="9"/><path d="M12 7.5v5M12 16.2v.1"/>',
};
const svg = (name, cls = '') => `<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"${cls ? ` class="${cls}"` : ''}>${ICONS[name]}</svg>`;

const LABELS = { queued: 'Queued', uploading: 'Uploading', resuming: 'Resuming', paused: 'Paused', done: 'Done',
  failed: 'Failed', cancelled: 'Cancelled', offline: 'Offline, waiting for the network', 'another-tab': 'Uploading in another tab' };
const TERMINAL = new Set(['done', 'failed', 'cancelled']);
// Which buttons each state shows, in order.
const ACTIONS = { queued: ['cancel'], uploading: ['pause', 'cancel'], resuming: ['pause', 'cancel'],
  paused: ['resume', 'cancel'], offline: ['pause', 'cancel'], 'another-tab': ['cancel'], failed: ['retry', 'cancel'], done: ['download', 'remove'], cancelled: ['remove'] };
const ACTION_TEXT = { pause: 'Pause', resume: 'Resume', cancel: 'Cancel', retry: 'Retry', download: 'Download', remove: 'Remove' };
// Finder and Explorer litter folders with these; nobody means to upload them.
const JUNK = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini']);

/** `1234567` → `"1.2 MB"` (SI units, as the OS file managers of macOS and the web show them). */
export function formatBytes(n) {
  if (!Number.isFinite(n)) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
  return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

function formatEta(s) {
  if (s == null || !Number.isFinite(s) || s < 0) return '';
  if (s < 1) return 'almost done';
  if (s < 60) return `${Math.ceil(s)} s left`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.floor(s % 60)} s left`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min left`;
}

/** A human sentence for an upload error (`{code, status, message}` from the client or the signer). */
export function describeError(e) {
  const http = e?.status ? ` (HTTP ${e.status})` : '';
  const msg = String(e?.message ?? '').replace(/\.\s*$/, '');
  switch (e?.code) {
    case 'missing_token': case 'invalid_token': case 'auth':
      return `Not signed in, or the session expired${http}. Sign in and retry.`;
    case 'forbidden_key': return `Not allowed to write there${http}.`;
    case 'too_large': return `The file is larger than the server allows${http}.`;
    case 'unsupported_type': return `The server does not accept this type of file${http}.`;
    case 'rate_limited': return `Too many uploads at once${http}. Retry in a moment.`;
    case 'storage_unavailable': case 'storage_error':
      return `The storage is unreachable right now${http}. Retry in a moment.`;
    case 'no_such_upload': return `The server no longer knows this upload${http}. Cancel and add the file again.`;
    case 'network': return 'The network is unreachable. Check the connection and retry.';
    case 'retries_exhausted': return `${msg || 'The upload kept failing'}. Check the connection and retry.`;
    case 'read_failed': return 'The file could not be read. It may have been moved or changed; add it again.';
    case 'cancelled': return 'Cancelled.';
    // etag_unreadable (bucket CORS lacks ExposeHeaders: ETag), store_refused, load_failed…:
    // the client's message already says what to fix.
    default: return msg ? `${msg}${e?.status && !msg.includes(String(e.status)) ? http : ''}.` : `The upload failed${http}.`;
  }
}

/** Does `file` match an `accept` list (`.png,image/*,application/pdf`), as `<input type=file>` reads it? */
export function matchesAccept(file, accept) {
  const rules = String(accept ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (!rules.length) return true;
  const name = file.name.toLowerCase();
  const type = (file.type || '').toLowerCase().split(';')[0].trim();
  return rules.some((rule) => {
    if (rule.startsWith('.')) return name.endsWith(rule);
    if (rule.endsWith('/*')) return type.startsWith(rule.slice(0, -1));
    return type === rule;
  });
}

/** `image/*,.pdf` → `Images or PDF`, for the hint under the button. */
function describeAccept(accept) {
  const names = { 'image/*': 'images', 'video/*': 'videos', 'audio/*': 'audio', 'text/*': 'text files',
    'application/pdf': 'PDF', '.pdf': 'PDF' };
  const words = [...new Set(String(accept).split(',').map((s) => s.trim()).filter(Boolean)
    .map((r) => names[r.toLowerCase()] ?? (r.startsWith('.') ? r.slice(1).toUpperCase() : r)))];
  const list = words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words.at(-1)}` : words[0] ?? '';
  return list.charAt(0).toUpperCase() + list.slice(1);
}

function fileKind(file) {
  const t = file.type || '';
  const ext = (file.name.match(/\.([a-z0-9]{1,8})$/i)?.[1] ?? '').toLowerCase();
  if (t.startsWith('image/')) return 'image';
  if (t.startsWith('video/')) return 'video';
  if (t.startsWith('audio/')) return 'audio';
  if (t === 'application/pdf' || /^(pdf|docx?|xlsx?|pptx?|odt|txt|md|csv)$/.test(ext)) return 'doc';
  if (/zip|tar|gzip|x-7z|rar/.test(t) || /^(zip|gz|tgz|tar|7z|rar|xz|zst|iso)$/.test(ext)) return 'archive';
  return 'other';
}

// One import + init() per client URL for the whole page; a failed load is forgotten so Retry can try again.
const clients = new Map();
function loadClient(url) {
  if (!clients.has(url)) {
    // `import('./s3lift.js')` is spelled out when no `module` attribute is set, so bundlers see it and split
    // the client (and its wasm asset) into a chunk; unbundled, it resolves next to this file.
    const imported = url ? import(/* @vite-ignore */ /* webpackIgnore: true */ url) : import('./s3lift.js');
    const p = imported.then(async (m) => { await m.default(); return m; });
    p.catch(() => clients.delete(url));
    clients.set(url, p);
  }
  return clients.get(url);
}

const HTML = `<style>${STYLE}</style>
<div class="zone" part="dropzone" role="group" aria-label="File upload: drop files here, or choose them">
  <div class="glyph" aria-hidden="true">${svg('upload')}</div>
  <p class="lead">Drop files here <span>or</span></p>
  <button type="button" class="choose" part="button choose" aria-describedby="hint">Choose files</button>
  <p class="hint" id="hint"></p>
  <input type="file" hidden tabindex="-1">
</div>
<div class="notice" part="notice">${svg('alert')}<div class="message" part="message"></div></div>
<div class="summary"><div class="total" part="total"></div><button type="button" class="clear" part="button clear">Clear finished</button></div>
<ul part="list" aria-label="Uploads"></ul>
<div class="sr" aria-live="polite" aria-atomic="true"></div>`;

export class S3liftDropzone extends HTMLElement {
  static observedAttributes = ['accept', 'multiple', 'max-size'];

  #headers = {};
  #uploader = null;
  #uploaderKey = '';
  #frame = 0;
  #announceTimer = 0;
  #pendingAnnouncements = [];
  #dragDepth = 0;

  constructor() {
    super();
    /** `{ file, upload, state, … }` for every file in the list, in order. */
    this.uploads = [];
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = HTML;
    const $ = (s) => root.querySelector(s);
    this._zone = $('.zone');
    this._input = $('input');
    this._list = $('ul');
    this._total = $('.total');
    this._summary = $('.summary');
    this._live = $('[aria-live]');
    this._notice = $('.notice');
    this._message = $('.message');
    this._hint = $('.hint');
    $('.choose').addEventListener('click', () => this._input.click());
    $('.clear').addEventListener('click', () => this.clear());
    // The whole area opens the chooser for mouse users; keyboard users have the button.
    this._zone.addEventListener('click', (e) => { if (!e.target.closest('button, input')) this._input.click(); });
    this._input.addEventListener('change', () => { this.addFiles(this._input.files); this._input.value = ''; });
    this._zone.addEventListener('dragenter', (e) => { e.preventDefault(); this.#dragDepth += 1; this._zone.classList.add('over'); });
    this._zone.addEventListener('dragover', (e) => {
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
      this._zone.classList.add('over');
    });
    // dragleave fires when the pointer crosses into a child too: count enters and leaves.
    this._zone.addEventListener('dragleave', () => {
      this.#dragDepth = Math.max(0, this.#dragDepth - 1);
      if (!this.#dragDepth) this._zone.classList.remove('over');
    });
    this._zone.addEventListener('drop', (e) => {
      e.preventDefault();
      this.#dragDepth = 0;
      this._zone.classList.remove('over');
      this._drop(e.dataTransfer);
    });
    this._list.addEventListener('click', (e) => this._onAction(e));
  }

  connectedCallback() {
    // A `headers` set on the element before this class was defined is an own property: adopt it.
    if (Object.prototype.hasOwnProperty.call(this, 'headers')) {
      const value = this.headers;
      delete this.headers;
      this.headers = value;
    }
    this.attributeChangedCallback();
  }

  disconnectedCallback() {
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
  }

  attributeChangedCallback() {
    const accept = this.getAttribute('accept');
    const max = this.maxSize;
    this._input.multiple = this.hasAttribute('multiple');
    if (accept) this._input.accept = accept; else this._input.removeAttribute('accept');
    const parts = [accept ? describeAccept(accept) : (this.hasAttribute('multiple') ? 'Files or folders' : 'Any file')];
    if (Number.isFinite(max)) parts.push(`up to ${formatBytes(max)}${this.hasAttribute('multiple') ? ' each' : ''}`);
    this._hint.textContent = parts.join(' · ');
    this.shadowRoot.querySelector('.choose').textContent = this.hasAttribute('multiple') ? 'Choose files' : 'Choose a file';
  }

  /** Headers for signer calls (auth): an object, or a function returning one (or a promise of one). */
  get headers() { return this.#headers; }
  set headers(value) { this.#headers = value ?? {}; }

  get endpoint() { return this.getAttribute('endpoint') || '/s3'; }

  get maxSize() {
    const v = Number(this.getAttribute('max-size'));
    return this.hasAttribute('max-size') && v > 0 ? v : Infinity;
  }

  async #resolvedHeaders() {
    const h = this.#headers;
    return (typeof h === 'function' ? await h() : h) ?? {};
  }

  async _drop(dt) {
    if (!dt) return;
    // Entries and files must be taken now: the DataTransfer is emptied when the event ends.
    const files = [];
    const dirs = [];
    for (const item of dt.items ?? []) {
      if (item.kind !== 'file') continue;
      const entry = item.webkitGetAsEntry?.();
      if (entry?.isDirectory) dirs.push(entry);
      else { const f = item.getAsFile(); if (f) files.push(f); }
    }
    if (!dt.items?.length) files.push(...(dt.files ?? []));
    for (const dir of dirs) {
      try { await this._walk(dir, files); } catch { /* an unreadable folder adds what was read */ }
    }
    this.addFiles(files);
  }

  async _walk(entry, out) {
    if (entry.isFile) {
      if (JUNK.has(entry.name)) return;
      const file = await new Promise((ok, fail) => entry.file(ok, fail));
      out.push(Object.assign(file, { s3liftPath: entry.fullPath.replace(/^\//, '') }));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      // readEntries answers at most 100 entries per call: read until it answers none.
      for (;;) {
        const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
        if (!batch.length) break;
        for (const e of batch) await this._walk(e, out);
      }
    }
  }

  /** Adds files (a FileList or an array): refuses those breaking `accept` or `max-size`, uploads the others. */
  addFiles(list) {
    let files = [...(list ?? [])];
    const refused = [];
    if (!this.hasAttribute('multiple') && files.length > 1) {
      refused.push(`One file at a time: ${files.slice(1).map((f) => f.name).join(', ')} not added.`);
      files = files.slice(0, 1);
    }
    const max = this.maxSize;
    const accept = this.getAttribute('accept');
    const accepted = [];
    for (const file of files) {
      if (!matchesAccept(file, accept)) refused.push(`${file.name}: this type is not accepted (accepted: ${accept}).`);
      else if (file.size > max) refused.push(`${file.name}: ${formatBytes(file.size)} is over the ${formatBytes(max)} limit.`);
      else accepted.push(file);
    }
    this._message.replaceChildren(...refused.map((text) => Object.assign(document.createElement('div'), { textContent: text })));
    this._notice.classList.toggle('shown', refused.length > 0);
    if (refused.length) this._announce(refused.join(' '));
    if (accepted.length > 1) this._announce(`Uploading ${accepted.length} files.`);
    for (const file of accepted) this._start(file);
  }

  /** Removes finished rows (done, cancelled) from the list. Uploads in progress or failed stay. */
  clear() {
    for (const item of this.uploads.filter((u) => u.state === 'done' || u.state === 'cancelled')) this._remove(item, false);
    this._renderTotal();
  }

  _remove(item, moveFocus = true) {
    const i = this.uploads.indexOf(item);
    if (i < 0) return;
    const next = this.uploads[i + 1] ?? this.uploads[i - 1];
    this.uploads.splice(i, 1);
    item.row.remove();
    if (moveFocus) {
      (next?.row.querySelector('button, a') ?? this.shadowRoot.querySelector('.choose')).focus();
      this._renderTotal();
    }
  }

  /** The uploader for the current settings, made once (concurrent first files share the same promise). */
  _uploaderReady() {
    const attr = this.getAttribute('module');
    const url = attr ? new URL(attr, document.baseURI).href : '';
    const concurrency = Number(this.getAttribute('concurrency')) || 6;
    const key = `${url}|${this.endpoint}|${concurrency}`;
    if (!this.#uploader || this.#uploaderKey !== key) {
      // Uploads already running keep their uploader; new ones use the new settings.
      this.#uploaderKey = key;
      this.#uploader = loadClient(url).then(({ Uploader }) =>
        new Uploader({ endpoint: this.endpoint, headers: () => this.#resolvedHeaders(), concurrency }));
      this.#uploader.catch(() => { if (this.#uploaderKey === key) this.#uploader = null; });
    }
    return this.#uploader;
  }

  _start(file) {
    const item = {
      file, upload: null, state: 'queued', result: null, error: null, link: null, watch: 0,
      progress: { bytesSent: 0, totalBytes: file.size, bytesPerSecond: 0, etaSeconds: null },
    };
    item.row = this._row(item);
    this.uploads.push(item);
    this._render(item);
    this._run(item);
  }

  async _run(item) {
    let uploader;
    try {
      uploader = await this._uploaderReady();
    } catch (e) {
      if (item.state === 'cancelled') return;
      this._settleFailed(item, { code: 'load_failed', message: `The uploader could not load (${e?.message ?? e})` });
      return;
    }
    if (item.state === 'cancelled' || !this.uploads.includes(item)) return;
    item.upload = uploader.upload(item.file, {
      onProgress: (p) => {
        if (TERMINAL.has(item.state)) return;
        item.progress = p;
        this._schedule(item);
        this._emit('s3lift-progress', {
          file: item.file, bytesSent: p.bytesSent, totalBytes: p.totalBytes,
          bytesPerSecond: p.bytesPerSecond, etaSeconds: p.etaSeconds,
        });
      },
      // 'another-tab' and taking over come without progress.
      onStateChange: () => this._schedule(item),
    });
    this._render(item);
    this._watch(item);
  }

  /** Waits for the upload's current `done` promise; a newer watch (after retry or cancel) wins. */
  async _watch(item) {
    const watch = ++item.watch;
    try {
      const result = await item.upload.done;
      if (watch !== item.watch) return;
      item.state = 'done';
      item.result = result;
      item.progress = { ...item.progress, bytesSent: item.file.size, bytesPerSecond: 0, etaSeconds: 0 };
      this._render(item);
      this._announce(`${item.file.name} uploaded.`);
      this._emit('s3lift-complete', { file: item.file, result });
      this._fetchLink(item);
    } catch (e) {
      if (watch !== item.watch) return;
      if (e?.code === 'cancelled') {
        item.state = 'cancelled';
        this._render(item);
        this._announce(`${item.file.name} cancelled.`);
      } else {
        this._settleFailed(item, e);
      }
    }
  }

  _settleFailed(item, e) {
    item.state = 'failed';
    item.error = { code: e?.code ?? 'unknown', status: e?.status, message: describeError(e) };
    this._render(item);
    this._announce(`${item.file.name} failed: ${item.error.message}`);
    this._emit('s3lift-error', { file: item.file, error: item.error });
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true, detail }));
  }

  /** Asks the signer for a short-lived GET URL of the object. */
  async _fetchLink(item) {
    try {
      const res = await fetch(`${this.endpoint.replace(/\/$/, '')}/download?key=${encodeURIComponent(item.result.key)}`,
        { headers: await this.#resolvedHeaders() });
      if (!res.ok) return null;
      const { url, expires } = await res.json();
      item.link = { url, until: Date.now() + (Number(expires) || 300) * 1000 };
      this._actions(item, true);
      return item.link;
    } catch {
      return null; // the link is a convenience; the upload itself succeeded
    }
  }

  _row(item) {
    const { file } = item;
    const li = document.createElement('li');
    li.setAttribute('part', 'row');
    const ext = (file.name.match(/\.([a-z0-9]{1,4})$/i)?.[1] ?? 'file').toUpperCase();
    li.innerHTML = `<div class="icon" part="icon" aria-hidden="true"><span class="ext"></span>${svg('ok', 'ok')}${svg('bad', 'bad')}</div>
      <div class="head"><span class="name" part="name"></span><span class="size"></span></div>
      <div class="actions" part="actions"></div>
      <div class="progress"><div class="bar" part="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"><div class="fill"></div></div>
      <div class="status" part="status"><span class="label"></span><span class="detail"></span></div></div>`;
    const name = file.s3liftPath || file.name;
    li.querySelector('.icon').dataset.kind = fileKind(file);
    li.querySelector('.ext').textContent = ext;
    li.querySelector('.name').textContent = name;
    li.querySelector('.name').title = name;
    li.querySelector('.size').textContent = formatBytes(file.size);
    li.querySelector('.bar').setAttribute('aria-label', `${file.name} upload progress`);
    this._list.append(li);
    return li;
  }

  _schedule(item) {
    item.dirty = true;
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      for (const it of this.uploads) if (it.dirty) this._render(it, false);
      this._renderTotal();
    });
  }

  /** The state to show: terminal states come from `done`, the others from the upload itself. */
  _sync(item) {
    const u = item.upload;
    if (!u || TERMINAL.has(item.state)) return;
    const s = u.state;
    if (s === 'paused' || s === 'offline' || s === 'another-tab') item.state = s;
    else if (s === 'uploading') item.state = u.resumed ? 'resuming' : 'uploading';
    else if (s === 'queued') item.state = item.progress.bytesSent > 0 ? (u.resumed ? 'resuming' : 'uploading') : 'queued';
    // 'done' / 'failed' / 'cancelled': wait for `done` to settle, which carries the result or the error.
  }

  _render(item, withTotal = true) {
    item.dirty = false;
    this._sync(item);
    const { row, progress: p, state } = item;
    row.dataset.state = state;
    const total = p.totalBytes || item.file.size;
    const pct = state === 'done' ? 100 : total ? Math.min(100, Math.floor((p.bytesSent / total) * 100)) : 0;
    const bar = row.querySelector('.bar');
    if (bar.getAttribute('aria-valuenow') !== String(pct)) bar.setAttribute('aria-valuenow', String(pct));
    bar.firstElementChild.style.width = `${pct}%`;
    let detail = '';
    if (state === 'failed') detail = `: ${item.error?.message ?? ''}`;
    else if (state === 'done') detail = ` · ${formatBytes(item.file.size)}`;
    else if (state === 'uploading' || state === 'resuming') {
      detail = ` · ${pct}%`;
      if (p.bytesPerSecond > 0) detail += ` · ${formatBytes(p.bytesPerSecond)}/s`;
      if (p.etaSeconds != null && pct < 100) detail += ` · ${formatEta(p.etaSeconds)}`;
    } else if (state !== 'cancelled' && pct) detail = ` · ${pct}%`;
    row.querySelector('.label').textContent = LABELS[state];
    row.querySelector('.detail').textContent = detail;
    this._actions(item);
    if (withTotal) this._renderTotal();
  }

  _actions(item, force = false) {
    const want = ACTIONS[item.state].filter((a) => a !== 'download' || item.link);
    const box = item.row.querySelector('.actions');
    if (!force && box.dataset.shown === want.join()) return;
    box.dataset.shown = want.join();
    const active = this.shadowRoot.activeElement;
    const hadFocus = box.contains(active) ? active.dataset.action : null;
    const name = item.file.name;
    box.replaceChildren(...want.map((action) => {
      const el = document.createElement(action === 'download' ? 'a' : 'button');
      if (action === 'download') {
        el.href = item.link.url;
        el.setAttribute('download', name);
        el.addEventListener('click', (e) => this._download(e, item));
      } else {
        el.type = 'button';
      }
      el.className = 'act';
      el.dataset.action = action;
      el.setAttribute('part', 'button action');
      const label = action === 'remove' ? `Remove ${name} from the list` : `${ACTION_TEXT[action]} ${name}`;
      el.setAttribute('aria-label', label);
      el.title = action === 'remove' ? 'Remove from the list' : ACTION_TEXT[action];
      el.innerHTML = `${svg(action)}<span class="text">${ACTION_TEXT[action]}</span>`;
      return el;
    }));
    // Keep keyboard users in place when a button swaps (Pause ↔ Resume, Retry → Pause).
    if (hadFocus) {
      const swap = { pause: 'resume', resume: 'pause', retry: 'pause', cancel: 'remove' }[hadFocus];
      (box.querySelector(`[data-action=${hadFocus}]`) ?? box.querySelector(`[data-action=${swap}]`) ?? box.firstElementChild
        ?? this.shadowRoot.querySelector('.choose')).focus();
    }
  }

  /** A presigned link lives minutes: past its life, get a fresh one before following it. */
  async _download(e, item) {
    if (item.link && Date.now() < item.link.until - 5000) return;
    e.preventDefault();
    const link = await this._fetchLink(item);
    if (link) item.row.querySelector('[data-action=download]')?.click();
  }

  _onAction(e) {
    const el = e.target.closest('button[data-action]');
    if (!el) return;
    const item = this.uploads.find((u) => u.row.contains(el));
    if (!item) return;
    const u = item.upload;
    const name = item.file.name;
    switch (el.dataset.action) {
      case 'pause':
        u?.pause();
        this._announce(`${name} paused.`);
        break;
      case 'resume':
        u?.resume();
        this._announce(`${name} resumed.`);
        break;
      case 'cancel':
        if (u) {
          u.cancel();
          // A failed upload's `done` already settled: the client hands out a fresh one that rejects as cancelled.
          if (item.state === 'failed') this._watch(item);
        } else {
          item.state = 'cancelled';
          this._announce(`${name} cancelled.`);
        }
        break;
      case 'retry':
        item.error = null;
        item.state = 'queued';
        this._announce(`Retrying ${name}.`);
        if (u) { u.retry(); this._watch(item); } else this._run(item);
        break;
      case 'remove':
        this._remove(item);
        return;
    }
    this._render(item);
  }

  _renderTotal() {
    const active = this.uploads.filter((u) => u.state !== 'cancelled');
    this._summary.classList.toggle('shown', this.uploads.length > 0);
    this._summary.querySelector('.clear').hidden = !this.uploads.some((u) => u.state === 'done' || u.state === 'cancelled');
    if (!active.length) { this._total.textContent = this.uploads.length ? 'Nothing to upload' : ''; return; }
    const total = active.reduce((s, u) => s + u.file.size, 0);
    const sent = active.reduce((s, u) => s + (u.state === 'done' ? u.file.size : Math.min(u.progress.bytesSent, u.file.size)), 0);
    const moving = active.filter((u) => u.state === 'uploading' || u.state === 'resuming');
    const speed = moving.reduce((s, u) => s + (u.progress.bytesPerSecond || 0), 0);
    const done = active.filter((u) => u.state === 'done').length;
    const failed = active.filter((u) => u.state === 'failed').length;
    const pct = total ? Math.floor((sent / total) * 100) : 100;
    let text = `${done} of ${active.length} file${active.length > 1 ? 's' : ''} done`;
    if (failed) text += ` · ${failed} failed`;
    text += ` · ${pct}%`;
    if (speed > 0) text += ` · ${formatBytes(speed)}/s`;
    const pending = active.filter((u) => !TERMINAL.has(u.state)).reduce((s, u) => s + u.file.size - Math.min(u.progress.bytesSent, u.file.size), 0);
    if (speed > 0 && pending > 0) text += ` · ${formatEta(pending / speed)}`;
    this._total.textContent = text;
  }

  /** Says `text` through the polite live region; messages of one moment are read together. */
  _announce(text) {
    this.#pendingAnnouncements.push(text);
    if (this.#announceTimer) return;
    // Empty the region first, then fill it on a later task, so a repeated sentence is read again.
    this._live.textContent = '';
    this.#announceTimer = setTimeout(() => {
      this.#announceTimer = 0;
      this._live.textContent = this.#pendingAnnouncements.splice(0).join(' ');
    }, 100);
  }
}

if (!customElements.get('s3lift-dropzone')) customElements.define('s3lift-dropzone', S3liftDropzone);
