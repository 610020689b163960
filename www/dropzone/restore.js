// The widget's side of resuming after a reload: picking files with their
// handles, keeping an entry per multipart upload (dropzone/saved.js), listing
// the unfinished ones after a reload (rows in state `saved`), and resuming
// them from their handles ("Resume all") or from the file dropped again.
// `host` is the element.

import { RESUMABLE, fileOf, forgetEntry, forgetRecord, pickerTypes, recordOf, saveEntry, savedEntries } from './saved.js';

/** How long an unfinished upload is kept: the `resume-days` attribute (default 7, the client's default `resumeTtlMs`). */
export function keepMs(host) {
  const days = Number(host.getAttribute('resume-days'));
  return (days > 0 ? days : 7) * 24 * 3600 * 1000;
}

/**
 * Lists the unfinished uploads an earlier page left, as rows in state `saved`; those
 * older than the client keeps a resume record are aborted instead.
 */
export async function listSaved(host) {
  // Read after the wait: a page script may set `endpoint` just after the element is defined.
  const entries = (await savedEntries()).filter((e) => e.endpoint === host.endpoint);
  const known = new Set(host.uploads.map((u) => u.fingerprint));
  const keep = keepMs(host);
  let listed = 0;
  for (const saved of entries) {
    if (known.has(saved.fingerprint)) continue;
    if (!(Date.now() - saved.record.createdAt < keep)) { abandon(host, saved.fingerprint); continue; }
    listed += 1;
    const file = { name: saved.name, size: saved.size, type: saved.type, lastModified: saved.lastModified };
    host.uploads.push({
      file, relativePath: saved.relativePath, saved, fingerprint: saved.fingerprint, upload: null, row: null,
      state: 'saved', result: null, error: null, link: null, watch: 0,
      progress: { bytesSent: 0, totalBytes: saved.size, bytesPerSecond: 0, etaSeconds: null },
    });
  }
  if (listed) host._layout();
}

/**
 * Gives up an unfinished upload from before a reload (its row removed, or expired): aborts its
 * multipart upload through the signer (`DELETE /multipart/{uploadId}?key=`) and forgets it. A
 * failed abort keeps the client's record, so the next page (or the file coming back) tries again.
 */
export async function abandon(host, fingerprint) {
  forgetEntry(fingerprint);
  const r = recordOf(fingerprint);
  if (!r?.uploadId) return;
  try {
    const url = `${host.endpoint.replace(/\/$/, '')}/multipart/${encodeURIComponent(r.uploadId)}?key=${encodeURIComponent(r.key)}`;
    const res = await fetch(url, { method: 'DELETE', headers: await host._signerHeaders() });
    if (res.ok) forgetRecord(fingerprint);
  } catch { /* offline or refused: the record stays */ }
}

/** The file chooser: showOpenFilePicker where there is one (its handles let a reload resume), else the input. */
export async function choose(host) {
  if (!window.showOpenFilePicker || host.getAttribute('picker') === 'input') { host._input.click(); return; }
  let handles;
  try {
    handles = await window.showOpenFilePicker({ multiple: host.hasAttribute('multiple'), types: pickerTypes(host.getAttribute('accept')) });
  } catch (e) {
    if (e?.name !== 'AbortError') host._input.click(); // refused here (a cross-origin frame, bad types): the input
    return;
  }
  const files = await Promise.all(handles.map(async (h) => Object.assign(await h.getFile(), { s3liftHandle: h })));
  host.addFiles(files);
}

/**
 * Resumes every listed unfinished upload that has a stored file handle: asks for read
 * permission where the browser asks (call it from a click), then continues each upload
 * from its stored parts. Rows without a handle wait for their file to be dropped again.
 */
export async function resumeAll(host) {
  for (const item of host.uploads.filter((u) => u.state === 'saved' && u.saved.handle && !u.saved.lost)) {
    let file;
    try {
      file = await fileOf(item.saved.handle);
    } catch {
      item.saved.lost = true; // moved, deleted or refused: the row asks for the file instead
      host._render(item);
      continue;
    }
    resumeSaved(host, item, file, item.saved.handle);
  }
  host._renderTotal();
}

/** Turns a listed unfinished upload into a running one that continues its stored parts (`resumeFrom`). */
export function resumeSaved(host, item, file, handle) {
  file.s3liftHandle = handle ?? file.s3liftHandle;
  Object.assign(item, { file, state: 'queued', resumeFrom: item.saved.fingerprint, saved: null });
  host._announce(`Resuming ${file.name}.`);
  host._run(item);
  host._render(item);
}

/** Keeps a multipart upload's entry (name, size, handle) once its fingerprint is known, so a reload can list it. */
export function keep(host, item) {
  const fp = item.upload.fingerprint;
  const old = item.fingerprint;
  item.fingerprint = fp;
  if (old && old !== fp) forgetEntry(old); // a changed file starts over under its own fingerprint
  if (!fp || item.file.size < RESUMABLE) return;
  const f = item.file;
  item.kept = saveEntry({
    fingerprint: fp, endpoint: host.endpoint, name: f.name, size: f.size, lastModified: f.lastModified, type: f.type,
    relativePath: item.relativePath, handle: f.s3liftHandle ?? null, savedAt: Date.now(),
  });
}

/** Forgets the entry once the upload is over (done or cancelled), after its save if that is still under way. */
export function forget(item) {
  const fp = item.fingerprint;
  if (fp) (item.kept ?? Promise.resolve()).then(() => forgetEntry(fp));
}

/** The line above the list while unfinished uploads from before wait: `{ shown, button, text }`. */
export function restoreLine(uploads) {
  let waiting = 0, handles = 0;
  for (const u of uploads) {
    if (u.state !== 'saved') continue;
    waiting += 1;
    if (u.saved.handle && !u.saved.lost) handles += 1;
  }
  if (!waiting) return { shown: false, button: false, text: '' };
  const text = `${waiting} unfinished upload${waiting === 1 ? '' : 's'} from before.`
    + (handles < waiting ? ' Drop the files named below again to resume them.' : '');
  return { shown: true, button: handles > 0, text };
}
