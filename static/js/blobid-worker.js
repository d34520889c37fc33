// Web Worker of the Blob ID pool (js/blobid-pool.js): the sha256 of each 256 KiB leaf of one
// slice of a file, with the browser's native digest. A slice starts on a leaf boundary.
// Message in: {id, file, start, end}. Message out: {id, digests} (an ArrayBuffer of 32 bytes
// per leaf, in order) or {id, error}.
const LEAF = 262144;
// Chromium (156) may garbage-collect a blob's stream while a BYOB read of it is pending, and that
// read then never settles: the streams being read are held here until they are done with.
const reading = new Set();

// Each leaf is read into the same buffer (a BYOB reader), then digested: crypto.subtle copies
// its input at once, so a worker holds one leaf per slice in flight. Reading a whole slice
// with arrayBuffer() instead costs fresh memory for every slice, and nearly half the speed.
async function digestLeaves(blob, digests) {
  const stream = blob.stream();
  let reader;
  try {
    reader = stream.getReader({ mode: "byob" });
  } catch {
    // No byte stream for blobs in this browser: the whole slice at once.
    const bytes = new Uint8Array(await blob.arrayBuffer());
    for (let n = 0; n < digests.length / 32; n += 1) {
      const leaf = bytes.subarray(n * LEAF, (n + 1) * LEAF);
      digests.set(new Uint8Array(await crypto.subtle.digest("SHA-256", leaf)), 32 * n);
    }
    return;
  }
  reading.add(stream);
  try {
    await readLeaves(reader, blob.size, digests);
  } finally {
    reading.delete(stream);
  }
}

async function readLeaves(reader, size, digests) {
  let buffer = new ArrayBuffer(LEAF);
  for (let n = 0; n < digests.length / 32; n += 1) {
    const length = Math.min(LEAF, size - n * LEAF);
    let filled = 0;
    while (filled < length) {
      const { done, value } = await reader.read(new Uint8Array(buffer, filled, length - filled));
      if (done) throw new Error("The file changed while it was read.");
      buffer = value.buffer; // the reader hands the buffer back
      filled += value.byteLength;
    }
    const leaf = new Uint8Array(buffer, 0, length);
    digests.set(new Uint8Array(await crypto.subtle.digest("SHA-256", leaf)), 32 * n);
  }
  await reader.cancel(); // closes the read now, not when garbage is collected
}

self.onmessage = async ({ data: { id, file, start, end } }) => {
  try {
    const leaves = Math.max(1, Math.ceil((end - start) / LEAF)); // the empty file has one
    const digests = new Uint8Array(32 * leaves);
    await digestLeaves(file.slice(start, end), digests);
    self.postMessage({ id, digests: digests.buffer }, [digests.buffer]);
  } catch (error) {
    self.postMessage({ id, error: String((error && error.message) || error) });
  }
};
