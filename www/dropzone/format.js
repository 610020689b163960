// Words and numbers the widget shows: sizes, times left, error sentences, and
// what an `accept` list lets in.

/** `1234567` → `"1.2 MB"` (SI units, as the OS file managers of macOS and the web show them). */
export function formatBytes(n) {
  if (!Number.isFinite(n)) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
  return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

export function formatEta(s) {
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
export function describeAccept(accept) {
  const names = { 'image/*': 'images', 'video/*': 'videos', 'audio/*': 'audio', 'text/*': 'text files',
    'application/pdf': 'PDF', '.pdf': 'PDF' };
  const words = [...new Set(String(accept).split(',').map((s) => s.trim()).filter(Boolean)
    .map((r) => names[r.toLowerCase()] ?? (r.startsWith('.') ? r.slice(1).toUpperCase() : r)))];
  const list = words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words.at(-1)}` : words[0] ?? '';
  return list.charAt(0).toUpperCase() + list.slice(1);
}

export function fileKind(file) {
  const t = file.type || '';
  const ext = (file.name.match(/\.([a-z0-9]{1,8})$/i)?.[1] ?? '').toLowerCase();
  if (t.startsWith('image/')) return 'image';
  if (t.startsWith('video/')) return 'video';
  if (t.startsWith('audio/')) return 'audio';
  if (t === 'application/pdf' || /^(pdf|docx?|xlsx?|pptx?|odt|txt|md|csv)$/.test(ext)) return 'doc';
  if (/zip|tar|gzip|x-7z|rar/.test(t) || /^(zip|gz|tgz|tar|7z|rar|xz|zst|iso)$/.test(ext)) return 'archive';
  return 'other';
}
