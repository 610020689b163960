// Unfinished uploads kept across reloads, so the widget can list them after a
// reload and resume them. One IndexedDB entry per upload, keyed by the
// client's fingerprint (`upload.fingerprint`, the key of its resume record in
// `localStorage`): the file's name, size, lastModified, type and folder path,
// and on Chromium its `FileSystemFileHandle` (picked with showOpenFilePicker
// or dropped), which lets "Resume all" read the file again without asking
// the user to find it. The entry goes when the upload completes, is cancelled
// or removed, or when its resume record is gone (expired, or finished in
// another tab).
//
// IndexedDB may be missing or refuse (private mode, quota): every call then
// does nothing, and uploads simply are not listed after a reload.

const DB = 's3lift-dropzone';
const STORE = 'uploads';

/** Files this size and over go multipart (the client's default `multipartThreshold`): only they resume. */
export const RESUMABLE = 8 * 1024 * 1024;

let db = null;
function open() {
  if (!db) {
    db = new Promise((ok, fail) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'fingerprint' });
      req.onsuccess = () => ok(req.result);
      req.onerror = () => fail(req.error);
    });
    db.catch(() => { db = null; });
  }
  return db;
}

async function run(mode, f) {
  try {
    const tx = (await open()).transaction(STORE, mode);
    const req = f(tx.objectStore(STORE));
    return await new Promise((ok, fail) => {
      tx.oncomplete = () => ok(req?.result);
      tx.onerror = tx.onabort = () => fail(tx.error);
    });
  } catch {
    return undefined;
  }
}

/** Keeps `entry` (`{ fingerprint, name, size, lastModified, type, relativePath, handle }`). */
export function saveEntry(entry) {
  return run('readwrite', (s) => s.put(entry));
}

/** Forgets the entry of `fingerprint`. */
export function forgetEntry(fingerprint) {
  return run('readwrite', (s) => s.delete(fingerprint));
}

/** The client's resume record of `fingerprint` (`{ uploadId, key, createdAt, … }`), or null. */
export function recordOf(fingerprint) {
  try { return JSON.parse(localStorage.getItem(`s3lift:${fingerprint}`)); } catch { return null; }
}

/** Forgets the client's resume record of `fingerprint` (its upload was aborted). */
export function forgetRecord(fingerprint) {
  try { localStorage.removeItem(`s3lift:${fingerprint}`); } catch { /* nothing to forget */ }
}

/**
 * The entries whose resume record is still in `localStorage`, oldest first, each with
 * its `record`; the others are forgotten (their upload finished, or was cancelled).
 */
export async function savedEntries() {
  const all = (await run('readonly', (s) => s.getAll())) ?? [];
  const kept = [];
  for (const e of all) {
    const record = recordOf(e.fingerprint);
    if (!record?.uploadId) forgetEntry(e.fingerprint);
    else kept.push({ ...e, record });
  }
  return kept.sort((a, b) => a.savedAt - b.savedAt);
}

/** The entry to `file` (a new pick or drop) belongs to: same name, size and folder path; the same lastModified first. */
export function matchSaved(items, file, relativePath) {
  const same = items.filter((it) => it.state === 'saved' && it.saved.name === file.name
    && it.saved.size === file.size && (it.saved.relativePath || '') === relativePath);
  return same.find((it) => it.saved.lastModified === file.lastModified) ?? same[0] ?? null;
}

/** Read access to `handle`'s file: asks where the browser asks (it needs the click's user activation). */
export async function fileOf(handle) {
  let p = (await handle.queryPermission?.({ mode: 'read' })) ?? 'granted';
  if (p !== 'granted') p = await handle.requestPermission({ mode: 'read' });
  if (p !== 'granted') throw new Error('permission denied');
  return handle.getFile();
}

/** The `types` of showOpenFilePicker for an `accept` attribute (`image/*,.pdf`), or undefined for any file. */
export function pickerTypes(accept) {
  if (!accept) return undefined;
  const want = {};
  for (const t of accept.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (t.startsWith('.')) (want['application/octet-stream'] ??= []).push(t);
    else want[t] = [];
  }
  return [{ description: 'Accepted files', accept: want }];
}
