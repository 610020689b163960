// Seeded test files, made in the page (memory) or on disk through OPFS.
// The same xorshift32 stream as tests/lib/harness.mjs `seededBytes`.
export function fill(buf, state) {
  const words = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 2);
  let x = state.x;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    words[i] = x;
  }
  const tail = buf.byteLength & 3;
  if (tail) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    for (let j = 0; j < tail; j++) buf[buf.byteLength - tail + j] = (x >>> (8 * j)) & 0xff;
  }
  state.x = x;
}

/** A File of `size` seeded bytes, in memory (keep it under 256 MiB). */
export function memoryFile(name, size, seed, type = 'application/octet-stream') {
  const chunks = [];
  const state = { x: seed >>> 0 || 1 };
  const CH = 4 * 1024 * 1024;
  for (let off = 0; off < size; off += CH) {
    const b = new Uint8Array(Math.min(CH, size - off));
    fill(b, state);
    chunks.push(b);
  }
  return new File(chunks, name, { type, lastModified: 1700000000000 });
}

/** A File on disk through OPFS, like a picked file; reused when it exists. */
export async function diskFile(name, size, seed) {
  const dir = await navigator.storage.getDirectory();
  let handle = await dir.getFileHandle(name, { create: true });
  let file = await handle.getFile();
  if (file.size === size) return file;
  const w = await handle.createWritable();
  const state = { x: seed >>> 0 || 1 };
  const CH = 8 * 1024 * 1024;
  const buf = new Uint8Array(CH);
  for (let off = 0; off < size; off += CH) {
    const n = Math.min(CH, size - off);
    // Chunks stay multiples of 4 so the stream matches the node side.
    fill(buf.subarray(0, n), state);
    await w.write(buf.subarray(0, n));
  }
  await w.close();
  return (await dir.getFileHandle(name)).getFile();
}

