// One upload's life in the list: its item, its upload started on the element's
// uploader, its `done` watched to the end, and the stored object's download link.
// `host` is the element.

import { describeError } from './format.js';
import { TERMINAL, paintActions } from './rows.js';
import { relativePathOf } from './folders.js';
import { forget, keep } from './restore.js';

/** Past this many files, each one's end is not announced (the total line says it). */
const ANNOUNCE_EACH = 20;

/** A new item at the end of the list; its row is made when it scrolls into view. */
export function start(host, file) {
  const item = {
    // A folder's file keeps its path inside the folder: the key keeps the folders.
    file, relativePath: relativePathOf(file), upload: null, row: null, state: 'queued', result: null,
    error: null, link: null, watch: 0,
    progress: { bytesSent: 0, totalBytes: file.size, bytesPerSecond: 0, etaSeconds: null },
  };
  host.uploads.push(item);
  run(host, item);
}

export async function run(host, item) {
  let uploader;
  try {
    uploader = await host._uploaderReady();
  } catch (e) {
    if (item.state === 'cancelled') return;
    settleFailed(host, item, { code: 'load_failed', message: `The uploader could not load (${e?.message ?? e})` });
    return;
  }
  if (item.state === 'cancelled' || item.removed) return;
  item.upload = uploader.upload(item.file, {
    relativePath: item.relativePath || undefined,
    resumeFrom: item.resumeFrom,
    onProgress: (p) => {
      if (TERMINAL.has(item.state)) return;
      item.progress = p;
      host._later(item);
      host._emit('s3lift-progress', {
        file: item.file, bytesSent: p.bytesSent, totalBytes: p.totalBytes,
        bytesPerSecond: p.bytesPerSecond, etaSeconds: p.etaSeconds,
      });
    },
    // Each change of state repaints the row: the network coming back, 'another-tab' and taking
    // over come without progress.
    onStateChange: () => host._later(item),
  });
  if (item.state === 'paused') item.upload.pause();
  host._later(item);
  keep(host, item);
  watch(host, item);
}

/** Waits for the upload's current `done` promise; a newer watch (after retry or cancel) wins. */
export async function watch(host, item) {
  const watch = ++item.watch;
  try {
    const result = await item.upload.done;
    if (watch !== item.watch) return;
    item.state = 'done';
    item.result = result;
    forget(item);
    item.progress = { ...item.progress, bytesSent: item.file.size, bytesPerSecond: 0, etaSeconds: 0 };
    host._render(item);
    if (host.uploads.length <= ANNOUNCE_EACH) host._announce(`${item.file.name} uploaded.`);
    host._emit('s3lift-complete', { file: item.file, relativePath: item.relativePath || null, result });
    if (item.row) fetchLink(host, item);
  } catch (e) {
    if (watch !== item.watch) return;
    if (e?.code === 'cancelled') {
      item.state = 'cancelled';
      forget(item);
      host._render(item);
      host._announce(`${item.file.name} cancelled.`);
    } else {
      settleFailed(host, item, e);
    }
  }
}

function settleFailed(host, item, e) {
  item.state = 'failed';
  item.error = { code: e?.code ?? 'unknown', status: e?.status, message: describeError(e) };
  host._render(item);
  host._announce(`${item.file.name} failed: ${item.error.message}`);
  host._emit('s3lift-error', { file: item.file, error: item.error });
}

/** Asks the signer for a short-lived GET URL of the object. */
export async function fetchLink(host, item) {
  item.linkAsked = true;
  try {
    const res = await fetch(`${host.endpoint.replace(/\/$/, '')}/download?key=${encodeURIComponent(item.result.key)}`,
      { headers: await host._signerHeaders() });
    if (!res.ok) return null;
    const { url, expires } = await res.json();
    item.link = { url, until: Date.now() + (Number(expires) || 300) * 1000 };
    paintActions(host, item, true);
    return item.link;
  } catch {
    return null; // the link is a convenience; the upload itself succeeded
  }
}

/** A presigned link lives minutes: past its life, get a fresh one before following it. */
export async function download(host, e, item) {
  if (item.link && Date.now() < item.link.until - 5000) return;
  e.preventDefault();
  const link = await fetchLink(host, item);
  if (link) item.row?.querySelector('[data-action=download]')?.click();
}
