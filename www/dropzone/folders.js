// Reading what was dropped: files, and folders walked to their files, each
// file tagged with its path inside the dropped folder (`s3liftPath`), which
// the widget sends as `relativePath` so the key keeps the folders.

// Finder and Explorer litter folders with these; nobody means to upload them.
const JUNK = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini']);

/** The files of a drop, folders walked, in the order they were dropped and listed. */
export async function droppedFiles(dt) {
  // Entries and files must be taken now: the DataTransfer is emptied when the event ends.
  // A lone file's FileSystemFileHandle (Chromium) too: it lets the widget resume it after a reload.
  const found = [];
  const handles = [];
  for (const item of dt.items ?? []) {
    if (item.kind !== 'file') continue;
    const handle = item.getAsFileSystemHandle?.();
    const entry = item.webkitGetAsEntry?.();
    if (entry?.isDirectory) found.push(entry);
    else { const f = item.getAsFile(); if (f) { found.push(f); handles.push([f, handle]); } }
  }
  if (!dt.items?.length) found.push(...(dt.files ?? []));
  await Promise.all(handles.map(async ([f, handle]) => {
    const h = await handle?.catch(() => null);
    if (h?.kind === 'file') f.s3liftHandle = h;
  }));
  const lists = await Promise.all(found.map((f) => (f instanceof File ? [f] : walk(f).catch(() => []))));
  return lists.flat();
}

/** Every file under `entry`, depth first, in listing order (folders read concurrently). */
async function walk(entry) {
  if (entry.isFile) {
    if (JUNK.has(entry.name)) return [];
    const file = await new Promise((ok, fail) => entry.file(ok, fail));
    return [Object.assign(file, { s3liftPath: entry.fullPath.replace(/^\//, '') })];
  }
  if (!entry.isDirectory) return [];
  const reader = entry.createReader();
  const entries = [];
  // readEntries answers at most 100 entries per call: read until it answers none.
  try {
    for (;;) {
      const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
      if (!batch.length) break;
      entries.push(...batch);
    }
  } catch { /* an unreadable folder adds what was read */ }
  return (await Promise.all(entries.map((e) => walk(e).catch(() => [])))).flat();
}

/** A picked file's path inside its folder (`webkitdirectory`), or a dropped one's; `''` for a lone file. */
export function relativePathOf(file) {
  return file.s3liftPath || file.webkitRelativePath || '';
}

/** Whether a file picked from a folder is one of the OS's own (`.DS_Store`…). */
export function isJunk(file) {
  return JUNK.has(file.name);
}

/** Makes `zone` take drops (and show when one is over it); `onFiles` gets each drop's files. */
export function takeDrops(zone, onFiles) {
  let depth = 0;
  zone.addEventListener('dragenter', (e) => { e.preventDefault(); depth += 1; zone.classList.add('over'); });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    zone.classList.add('over');
  });
  // dragleave fires when the pointer crosses into a child too: count enters and leaves.
  zone.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) zone.classList.remove('over');
  });
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    zone.classList.remove('over');
    if (e.dataTransfer) droppedFiles(e.dataTransfer).then(onFiles);
  });
}
