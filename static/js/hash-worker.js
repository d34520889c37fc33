// Web Worker: streams a File through hash-wasm's sha256, reporting progress.
// Message in: {id, file, hashwasmUrl}. Messages out: {id, progress} ... {id, sha256} | {id, error}.
const PIECE = 4 * 1024 * 1024;
let loaded = false;

self.onmessage = async (event) => {
  const { id, file, hashwasmUrl } = event.data;
  try {
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
