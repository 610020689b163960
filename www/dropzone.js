// <s3lift-dropzone>: drag-and-drop uploads straight to S3 through an s3lift signer.
//
//   <script type="module" src="s3lift/dropzone"></script>
//   <s3lift-dropzone endpoint="/s3" accept="image/*,.pdf" max-size="1073741824" multiple></s3lift-dropzone>
//   el.headers = { Authorization: 'Bearer …' };   // or a function returning them, for token refresh
//
// Attributes: endpoint (default /s3), accept, max-size (bytes), concurrency (default 6), multiple,
//   module (URL of s3lift.js, resolved against the document; default: ./s3lift.js next to this file),
//   picker ("input": always the plain file input, never showOpenFilePicker),
//   worker (present: the uploads run in a Web Worker, `worker: true` of the client; the page only gets events).
// Properties: headers, uploads (read-only). Methods: addFiles(files), clear(), resumeAll().
// Events (bubbling, composed): s3lift-progress, s3lift-complete, s3lift-error.
// Theming: --s3lift-accent, --s3lift-bg, --s3lift-fg, --s3lift-muted, --s3lift-border, --s3lift-danger,
//   --s3lift-success, --s3lift-radius, --s3lift-font, --s3lift-list-height (the list scrolls past it; 560px).
// Parts: dropzone, button (every button; also choose | folder | action | clear | resume-all), list, row, icon, name, bar,
//   status, actions, total, bytes, message, restore (the "unfinished uploads from before" line).
//
// Folders (dropped, or picked with "or a folder") keep each file's path inside the folder: it goes to the
// client as `relativePath`, so the key keeps the folders. The list shows only the rows in view (dropzone/rows.js):
// 10,000 files cost the page a few dozen rows.
//
// Resume after a reload (dropzone/restore.js): each multipart upload's file is kept in IndexedDB by name and size,
// with its FileSystemFileHandle where the browser gives one (Chromium: "Choose files" uses showOpenFilePicker,
// and a dropped file's handle is taken). After a reload the list shows the unfinished uploads; "Resume all"
// (or `resumeAll()`, from a click) reads the files through their handles, asking for permission where the
// browser asks, and continues them from the parts the store holds. A row without a handle names the file to
// drop again; the file dropped or picked again (same name, size and folder path) continues that row. A file
// changed since starts over, and its row says "file changed, started over". Removing a listed row, or a listed
// upload older than 7 days, aborts its multipart upload through the signer.
//
// The wasm client is imported and initialised on first use, never at page load,
// so the widget costs the page one small script until someone picks a file.

import { STYLE } from './dropzone/style.js';
import { describeAccept, describeError, formatBytes, matchesAccept } from './dropzone/format.js';
import { RowWindow, TERMINAL, act, makeRow, paintActions, paintRow, svg } from './dropzone/rows.js';
import { isJunk, relativePathOf, takeDrops } from './dropzone/folders.js';
import { totals } from './dropzone/totals.js';
import { matchSaved } from './dropzone/saved.js';
import { abandon, choose, keepMs, listSaved, resumeAll, resumeSaved, restoreLine } from './dropzone/restore.js';
import { download, fetchLink, run, start, watch } from './dropzone/upload.js';

export { describeError, formatBytes, matchesAccept };

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
  <button type="button" class="folder" part="button folder">or a folder</button>
  <p class="hint" id="hint"></p>
  <input type="file" class="files" hidden tabindex="-1">
</div>
<div class="notice" part="notice">${svg('alert')}<div class="message" part="message"></div></div>
<div class="restore" part="restore"><span class="restore-text"></span><button type="button" class="resume-all" part="button resume-all">Resume all</button></div>
<div class="summary"><div class="totals"><span class="total" part="total"></span><span class="bytes" part="bytes"></span></div><button type="button" class="clear" part="button clear">Clear finished</button></div>
<div class="scroller"><ul part="list" aria-label="Uploads"></ul></div>
<div class="sr" aria-live="polite" aria-atomic="true"></div>`;

export class S3liftDropzone extends HTMLElement {
  static observedAttributes = ['accept', 'multiple', 'max-size'];

  #headers = {};
  #uploader = null;
  #uploaderKey = '';
  #frame = 0;
  #dirty = new Set();
  #layoutDue = false;
  #announceTimer = 0;
  #pendingAnnouncements = [];
  #rows;
  #restored = false;

  constructor() {
    super();
    /** `{ file, relativePath, upload, state, … }` for every file in the list, in order. */
    this.uploads = [];
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = HTML;
    const $ = (s) => root.querySelector(s);
    this._zone = $('.zone');
    this._input = $('input.files');
    this._list = $('ul');
    this._scroller = $('.scroller');
    this._total = $('.total');
    this._bytes = $('.bytes');
    this._summary = $('.summary');
    this._live = $('[aria-live]');
    this._notice = $('.notice');
    this._message = $('.message');
    this._hint = $('.hint');
    this.#rows = new RowWindow(this._scroller, this._list, (item) => {
      item.row = makeRow(item);
      this._sync(item);
      paintRow(item);
      paintActions(this, item);
      // A row that comes into view done gets its download link then.
      if (item.state === 'done' && !item.linkAsked) fetchLink(this, item);
      return item.row;
    });
    this._restore = $('.restore');
    $('.choose').addEventListener('click', () => choose(this));
    $('.resume-all').addEventListener('click', () => this.resumeAll());
    $('.folder').addEventListener('click', () => this._folderInput().click());
    $('.clear').addEventListener('click', () => this.clear());
    // The whole area opens the chooser for mouse users; keyboard users have the button.
    this._zone.addEventListener('click', (e) => { if (!e.target.closest('button, input')) choose(this); });
    this._input.addEventListener('change', () => { this.addFiles(this._input.files); this._input.value = ''; });
    takeDrops(this._zone, (files) => this.addFiles(files));
    this._list.addEventListener('click', (e) => this._onAction(e));
    this._scroller.addEventListener('scroll', () => this._later(null, true), { passive: true });
    new ResizeObserver(() => this._later(null, true)).observe(this._scroller);
  }

  connectedCallback() {
    // A `headers` set on the element before this class was defined is an own property: adopt it.
    if (Object.prototype.hasOwnProperty.call(this, 'headers')) {
      const value = this.headers;
      delete this.headers;
      this.headers = value;
    }
    this.attributeChangedCallback();
    if (!this.#restored) { this.#restored = true; listSaved(this); }
  }

  disconnectedCallback() {
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
  }

  attributeChangedCallback() {
    const accept = this.getAttribute('accept');
    const max = this.maxSize;
    const multiple = this.hasAttribute('multiple');
    this._input.multiple = multiple;
    if (accept) this._input.accept = accept; else this._input.removeAttribute('accept');
    const parts = [accept ? describeAccept(accept) : (multiple ? 'Files or folders' : 'Any file')];
    if (Number.isFinite(max)) parts.push(`up to ${formatBytes(max)}${multiple ? ' each' : ''}`);
    this._hint.textContent = parts.join(' · ');
    this.shadowRoot.querySelector('.choose').textContent = multiple ? 'Choose files' : 'Choose a file';
    this.shadowRoot.querySelector('.folder').hidden = !multiple;
  }

  /** The folder picker (`webkitdirectory`), made on first use. */
  _folderInput() {
    let input = this.shadowRoot.querySelector('input.dir');
    if (input) return input;
    input = Object.assign(document.createElement('input'), { type: 'file', className: 'dir', hidden: true, tabIndex: -1 });
    input.webkitdirectory = true;
    input.addEventListener('change', () => {
      this.addFiles([...input.files].filter((f) => !isJunk(f)));
      input.value = '';
    });
    this._zone.append(input);
    return input;
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

  /** The headers for a signer call made outside the client (dropzone/restore.js's abort, upload.js's link). */
  _signerHeaders() { return this.#resolvedHeaders(); }

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
    // Rows listed from before a reload, looked for once per call (10,000 files must not scan 10,000 rows each).
    const waiting = this.uploads.filter((u) => u.state === 'saved');
    for (const file of accepted) {
      // The file of a listed unfinished upload, dropped or picked again: that row continues.
      const saved = waiting.length ? matchSaved(waiting, file, relativePathOf(file)) : null;
      if (saved) resumeSaved(this, saved, file, null); else start(this, file);
    }
    if (accepted.length) this._layout();
  }

  /**
   * Resumes every listed unfinished upload (from before a reload) that has a stored file handle,
   * asking for read permission where the browser asks: call it from a click.
   */
  resumeAll() { return resumeAll(this); }

  /** Removes finished rows (done, cancelled) from the list. Uploads in progress or failed stay. */
  clear() {
    // In place: `uploads` is the same array for the element's life.
    let kept = 0;
    for (const u of this.uploads) {
      if (u.state !== 'done' && u.state !== 'cancelled') this.uploads[kept++] = u;
      else u.removed = true;
    }
    this.uploads.length = kept;
    this._layout();
  }

  _remove(item, moveFocus = true) {
    const i = this.uploads.indexOf(item);
    if (i < 0) return;
    const next = this.uploads[i + 1] ?? this.uploads[i - 1];
    this.uploads.splice(i, 1);
    item.removed = true;
    if (item.state === 'saved') abandon(this, item.fingerprint); // given up: its multipart upload is aborted
    this._layout();
    if (moveFocus) (next?.row?.querySelector('button, a') ?? this.shadowRoot.querySelector('.choose')).focus();
  }

  /** Rows for the items in view, and the total line: after the list changed, or (later) after a scroll. */
  _layout() {
    this.#rows.layout(this.uploads);
    this._renderTotal();
  }

  /** The uploader for the current settings, made once (concurrent first files share the same promise). */
  _uploaderReady() {
    const attr = this.getAttribute('module');
    const url = attr ? new URL(attr, document.baseURI).href : '';
    const concurrency = Number(this.getAttribute('concurrency')) || 6;
    const worker = this.hasAttribute('worker');
    // The client drops (and aborts) a resume record as old as the widget's listing does.
    const resumeTtlMs = keepMs(this);
    const key = `${url}|${this.endpoint}|${concurrency}|${worker}|${resumeTtlMs}`;
    if (!this.#uploader || this.#uploaderKey !== key) {
      // Uploads already running keep their uploader; new ones use the new settings.
      this.#uploaderKey = key;
      this.#uploader = loadClient(url).then(({ Uploader }) =>
        new Uploader({ endpoint: this.endpoint, headers: () => this.#resolvedHeaders(), concurrency, worker, resumeTtlMs }));
      this.#uploader.catch(() => { if (this.#uploaderKey === key) this.#uploader = null; });
    }
    return this.#uploader;
  }

  // One upload's life (dropzone/upload.js), for dropzone/rows.js and restore.js.
  _run(item) { return run(this, item); }
  _watch(item) { return watch(this, item); }
  _download(e, item) { return download(this, e, item); }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true, detail }));
  }

  /** Paints `item` (when given) and the rows in view (after a scroll) at the next frame, with the total line. */
  _later(item, layout = false) {
    if (item) this.#dirty.add(item);
    if (layout) this.#layoutDue = true;
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      if (this.#layoutDue) { this.#layoutDue = false; this.#rows.layout(this.uploads); }
      for (const it of this.#dirty) this._render(it, false);
      this.#dirty.clear();
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
    this.#dirty.delete(item);
    this._sync(item);
    paintRow(item);
    paintActions(this, item);
    if (withTotal) this._renderTotal();
  }

  _onAction(e) {
    const el = e.target.closest('button[data-action]');
    const item = el && this.#rows.itemOf(el);
    if (item) act(this, item, el.dataset.action);
  }

  _renderTotal() {
    const t = totals(this.uploads);
    this._summary.classList.toggle('shown', this.uploads.length > 0);
    this._summary.querySelector('.clear').hidden = t.finished === 0;
    this._total.textContent = t.total;
    const r = restoreLine(this.uploads);
    this._restore.classList.toggle('shown', r.shown);
    this._restore.querySelector('.resume-all').hidden = !r.button;
    this._restore.querySelector('.restore-text').textContent = r.text;
    this._bytes.textContent = t.bytes;
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
