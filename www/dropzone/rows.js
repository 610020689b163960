// The rows of the upload list. Only the rows in view (and a few either side)
// are in the DOM: a folder of 10,000 files costs the page a few dozen rows,
// each at its index's offset in a list as tall as all of them.

import { fileKind, formatBytes, formatEta } from './format.js';

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
export const svg = (name, cls = '') => `<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"${cls ? ` class="${cls}"` : ''}>${ICONS[name]}</svg>`;

const LABELS = { queued: 'Queued', uploading: 'Uploading', resuming: 'Resuming', paused: 'Paused', done: 'Done',
  failed: 'Failed', cancelled: 'Cancelled', offline: 'Offline, waiting for the network', 'another-tab': 'Uploading in another tab',
  saved: 'Not finished' };
export const TERMINAL = new Set(['done', 'failed', 'cancelled']);
// Which buttons each state shows, in order.
const ACTIONS = { queued: ['pause', 'cancel'], uploading: ['pause', 'cancel'], resuming: ['pause', 'cancel'],
  paused: ['resume', 'cancel'], offline: ['pause', 'cancel'], 'another-tab': ['cancel'], failed: ['retry', 'cancel'], done: ['download', 'remove'], cancelled: ['remove'],
  saved: ['remove'] };
export const ACTION_TEXT = { pause: 'Pause', resume: 'Resume', cancel: 'Cancel', retry: 'Retry', download: 'Download', remove: 'Remove' };

/** A row's height (style.js: `li { height }`) and the gap under it, in CSS pixels. */
const ROW = 80;
const STEP = ROW + 8;
/** Rows kept past each edge of the view, so a short scroll shows no blank. */
const OVERSCAN = 6;

/** The `<li>` of one item, its content not yet painted. */
export function makeRow(item) {
  const { file } = item;
  const li = document.createElement('li');
  li.setAttribute('part', 'row');
  const ext = (file.name.match(/\.([a-z0-9]{1,4})$/i)?.[1] ?? 'file').toUpperCase();
  li.innerHTML = `<div class="icon" part="icon" aria-hidden="true"><span class="ext"></span>${svg('ok', 'ok')}${svg('bad', 'bad')}</div>
    <div class="head"><span class="name" part="name"></span><span class="size"></span></div>
    <div class="actions" part="actions"></div>
    <div class="progress"><div class="bar" part="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"><div class="fill"></div></div>
    <div class="status" part="status"><span class="label"></span><span class="detail"></span></div></div>`;
  const name = item.relativePath || file.name;
  li.querySelector('.icon').dataset.kind = fileKind(file);
  li.querySelector('.ext').textContent = ext;
  li.querySelector('.name').textContent = name;
  li.querySelector('.name').title = name;
  li.querySelector('.size').textContent = formatBytes(file.size);
  li.querySelector('.bar').setAttribute('aria-label', `${file.name} upload progress`);
  return li;
}

/** Paints `item`'s state, bar and status into its row (when it has one). */
export function paintRow(item) {
  const { row, progress: p, state } = item;
  if (!row) return;
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
  } else if (state === 'saved') {
    // From before a reload: "Resume all" reads a stored handle's file; without one, the user drops it again.
    const f = item.file;
    detail = item.saved.handle && !item.saved.lost ? ' · ready to resume (Resume all)'
      : ` · drop ${f.name} (${formatBytes(f.size)}) again to resume`;
  } else if (state !== 'cancelled' && pct) detail = ` · ${pct}%`;
  // The file was not the one whose parts the store held (edited since): the engine started over.
  if ((item.result?.restarted ?? item.upload?.restarted) === 'file_changed' && state !== 'failed') {
    detail += ' · file changed, started over';
  }
  row.querySelector('.label').textContent = LABELS[state];
  row.querySelector('.detail').textContent = detail;
  // One line per row: a long error is cut on screen, whole in the tooltip (and announced).
  row.querySelector('.status').title = state === 'failed' ? `${LABELS[state]}${detail}` : '';
}

/**
 * Puts the buttons `item`'s state calls for into its row. `host` is the
 * element: its shadow root (focus) and `_download` (fresh links).
 */
export function paintActions(host, item, force = false) {
  if (!item.row) return;
  const want = ACTIONS[item.state].filter((a) => a !== 'download' || item.link);
  const box = item.row.querySelector('.actions');
  if (!force && box.dataset.shown === want.join()) return;
  box.dataset.shown = want.join();
  const active = host.shadowRoot.activeElement;
  const hadFocus = box.contains(active) ? active.dataset.action : null;
  const name = item.file.name;
  box.replaceChildren(...want.map((action) => {
    const el = document.createElement(action === 'download' ? 'a' : 'button');
    if (action === 'download') {
      el.href = item.link.url;
      el.setAttribute('download', name);
      el.addEventListener('click', (e) => host._download(e, item));
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
      ?? host.shadowRoot.querySelector('.choose')).focus();
  }
}

/** What a row's button does; `host` is the element (its announcements, watches and rendering). */
export function act(host, item, action) {
  const u = item.upload;
  const name = item.file.name;
  switch (action) {
    case 'pause':
      // Before the uploader has loaded there is no upload yet: it starts paused (`_run`).
      if (u) u.pause(); else item.state = 'paused';
      host._announce(`${name} paused.`);
      break;
    case 'resume':
      if (u) u.resume(); else item.state = 'queued';
      host._announce(`${name} resumed.`);
      break;
    case 'cancel':
      if (u) {
        u.cancel();
        // A failed upload's `done` already settled: the client hands out a fresh one that rejects as cancelled.
        if (item.state === 'failed') host._watch(item);
      } else {
        item.state = 'cancelled';
        host._announce(`${name} cancelled.`);
      }
      break;
    case 'retry':
      item.error = null;
      item.state = 'queued';
      host._announce(`Retrying ${name}.`);
      if (u) { u.retry(); host._watch(item); } else host._run(item);
      break;
    case 'remove':
      host._remove(item);
      return;
  }
  host._render(item);
}

/**
 * The window of rows in view. `layout(items)` gives the rows in view to
 * their items (`item.row`, made by `make`) and takes them from the others
 * (`item.row = null`); rows stay in list order in the DOM, and a row that
 * stays in view is never moved (its focus is kept).
 */
export class RowWindow {
  #shown = new Set();

  constructor(scroller, list, make) {
    Object.assign(this, { scroller, list, make });
  }

  /** The item a row element (or one of its descendants) belongs to. */
  itemOf(el) {
    const li = el.closest('li');
    for (const it of this.#shown) if (it.row === li) return it;
    return null;
  }

  layout(items) {
    const n = items.length;
    this.list.style.height = `${n ? n * STEP - (STEP - ROW) : 0}px`;
    const top = this.scroller.scrollTop;
    // Not laid out (hidden, or not connected yet): assume a tall view.
    const height = this.scroller.clientHeight || 1200;
    const first = Math.max(0, Math.floor(top / STEP) - OVERSCAN);
    const last = Math.min(n, Math.ceil((top + height) / STEP) + OVERSCAN);
    const want = new Set();
    for (let i = first; i < last; i++) want.add(items[i]);
    for (const it of this.#shown) {
      if (want.has(it)) continue;
      it.row?.remove();
      it.row = null;
      this.#shown.delete(it);
    }
    // From the last row up, each goes right before the one under it.
    let below = null;
    for (let i = last - 1; i >= first; i--) {
      const it = items[i];
      if (!it.row) {
        it.row = this.make(it);
        this.#shown.add(it);
      }
      const y = `${i * STEP}px`;
      if (it.row.style.top !== y) it.row.style.top = y;
      if (it.row.parentNode !== this.list || it.row.nextSibling !== below) this.list.insertBefore(it.row, below);
      below = it.row;
    }
  }

  /** Forgets every row (the list is emptied). */
  clear() {
    for (const it of this.#shown) { it.row?.remove(); it.row = null; }
    this.#shown.clear();
  }
}
