// The line above the list: files done of all, failures, percent, speed and
// time left; then bytes sent of all. One pass over the items, once a frame.

import { formatBytes, formatEta } from './format.js';

/** `{ total, bytes, finished }`: the two texts, and how many rows `clear()` would remove. */
export function totals(ups) {
  let count = 0, total = 0, sent = 0, speed = 0, done = 0, failed = 0, pending = 0, finished = 0;
  for (const u of ups) {
    const { state, file: { size } } = u;
    if (state === 'done' || state === 'cancelled') finished += 1;
    if (state === 'cancelled') continue;
    const got = state === 'done' ? size : Math.min(u.progress.bytesSent, size);
    count += 1;
    total += size;
    sent += got;
    if (state === 'uploading' || state === 'resuming') speed += u.progress.bytesPerSecond || 0;
    if (state === 'done') done += 1;
    else if (state === 'failed') failed += 1;
    else pending += size - got;
  }
  if (!count) return { total: ups.length ? 'Nothing to upload' : '', bytes: '', finished };
  const pct = total ? Math.floor((sent / total) * 100) : 100;
  let text = `${done} of ${count} file${count > 1 ? 's' : ''} done`;
  if (failed) text += ` · ${failed} failed`;
  text += ` · ${pct}%`;
  if (speed > 0) text += ` · ${formatBytes(speed)}/s`;
  if (speed > 0 && pending > 0) text += ` · ${formatEta(pending / speed)}`;
  return { total: text, bytes: `${formatBytes(sent)} of ${formatBytes(total)}`, finished };
}
