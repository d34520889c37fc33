// Web Worker: computes a File's sha256, reporting progress.
// Message in: {id, file, hashwasmUrl}. Messages out: {id, progress} ... {id, sha256} | {id, error}.
// Files up to WHOLE bytes go through the browser's native digest (uses the CPU's SHA
// instructions, several times faster, but needs the whole file in memory); larger ones, or
// pages without crypto.subtle (plain HTTP off localhost), stream through hash-wasm.
const PIECE = 4 * 1024 * 1024;
const WHOLE = 256 * 1024 * 1024;
let loaded = false;

const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");

self.onmessage = async (event) => {
  const { id, file, hashwasmUrl } = event.data;
  try {
    if (file.size <= WHOLE && self.crypto && self.crypto.subtle) {
      const buffer = await file.arrayBuffer();
      self.postMessage({ id, progress: 0.5 });
      self.postMessage({ id, sha256: hex(await self.crypto.subtle.digest("SHA-256", buffer)) });
      return;
    }
    if (!loaded) {
      importScripts(hashwasmUrl);
      loaded = true;
    }
    const hasher = await self.hashwasm.createSHA256();
    hasher.init();
    let done = 0;
    let lastReport = 0;
    while (done < file.size) {
      const piece = new Uint8Array(await file.slice(done, done + PIECE).arrayBuffer());
      hasher.update(piece);
      done += piece.length;
      const now = Date.now();
      if (now - lastReport > 100) {
        self.postMessage({ id, progress: done / file.size });
        lastReport = now;
      }
    }
    self.postMessage({ id, sha256: hasher.digest("hex") });
  } catch (error) {
    self.postMessage({ id, error: String(error && error.message || error) });
  }
};
