// Blob IDs in the browser, at the speed of the native sha256: the CIDv1 that hub/blobid.py
// computes (kubo's `ipfs add --cid-version=1`: 256 KiB raw leaves under a balanced tree of
// dag-pb + UnixFS nodes of at most 174 links, printed in base32).
//
// The leaves are independent, so a pool of Web Workers (js/blobid-worker.js) digests them in
// parallel with crypto.subtle, each task one slice of a few MiB read from the File; only the
// leaf digests (32 bytes per 256 KiB) come back, and the tree above them is built here. A
// worker reads at most `inFlight` slices at a time, a leaf at a time, so the memory stays
// bounded whatever the size of the file. crypto.subtle exists in secure contexts only (HTTPS,
// localhost): check `BlobIdPool.supported` first.
//
//   const pool = new BlobIdPool(workerUrl);
//   const blobId = await pool.blobId(file, (fraction) => bar.value = fraction);
(() => {
  const LEAF = 262144;
  const MAX_LINKS = 174;
  const RAW = 0x55;
  const DAG_PB = 0x70;
  const digest = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));

  // An unsigned LEB128 varint (protobuf, multiformats); arithmetic, as sizes pass 2**32.
  function varint(out, value) {
    while (value >= 0x80) {
      out.push((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    out.push(value);
  }

  // Binary CIDv1: version, codec, sha2-256 multihash (code 0x12, 32 bytes).
  const cid = (codec, sha256) => Uint8Array.of(0x01, codec, 0x12, 0x20, ...sha256);

  // Multibase "b": RFC 4648 base32, lower case, no padding.
  function base32(bytes) {
    const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    let out = "b";
    let bits = 0;
    let buffer = 0;
    for (const byte of bytes) {
      buffer = ((buffer << 8) | byte) & 0xfff;
      bits += 8;
      while (bits >= 5) {
        bits -= 5;
        out += alphabet[(buffer >> bits) & 31];
      }
    }
    if (bits) out += alphabet[(buffer << (5 - bits)) & 31];
    return out;
  }

  // A dag-pb node over `children` ({cid, tsize, filesize}), as go-merkledag writes it: the
  // links (field 2: Hash, an empty Name, Tsize) before the data (field 1: a UnixFS File
  // with its filesize and one blocksizes field per child, proto2 unpacked).
  async function fileNode(children) {
    const filesize = children.reduce((sum, child) => sum + child.filesize, 0);
    const unixfs = [0x08, 0x02, 0x18];
    varint(unixfs, filesize);
    const block = [];
    for (const child of children) {
      unixfs.push(0x20);
      varint(unixfs, child.filesize);
      const link = [0x0a, child.cid.length, ...child.cid, 0x12, 0x00, 0x18];
      varint(link, child.tsize);
      block.push(0x12);
      varint(block, link.length);
      block.push(...link);
    }
    block.push(0x0a);
    varint(block, unixfs.length);
    block.push(...unixfs);
    const tsize = children.reduce((sum, child) => sum + child.tsize, block.length);
    return { cid: cid(DAG_PB, await digest(Uint8Array.from(block))), tsize, filesize };
  }

  // The Blob ID of `size` bytes from the sha256 of their leaves (32 bytes each, in order).
  // Grouping each level by 174 until one link is left is kubo's balanced layout: every
  // subtree is full but the last one, and a short last group still gets its own node.
  async function blobIdOfLeaves(digests, size) {
    let level = [];
    for (let n = 0; n < digests.length / 32; n += 1) {
      const length = Math.min(LEAF, size - n * LEAF);
      const sha256 = digests.subarray(32 * n, 32 * n + 32);
      level.push({ cid: cid(RAW, sha256), tsize: length, filesize: length });
    }
    while (level.length > 1) {
      const groups = [];
      for (let i = 0; i < level.length; i += MAX_LINKS) groups.push(level.slice(i, i + MAX_LINKS));
      level = await Promise.all(groups.map(fileNode));
    }
    return base32(level[0].cid);
  }

  const defaultWorkers = () => Math.min(4, Math.max(2, navigator.hardwareConcurrency || 2));

  class BlobIdPool {
    static supported = Boolean(self.isSecureContext && self.crypto && self.crypto.subtle);

    // Each worker digests on its own thread (Chromium's digest runs on the calling thread) and
    // reads one slice while it digests the other; the browser's own threads feed the reads, so
    // one worker per core is enough. `slice` is a whole number of leaves: every slice is a
    // read of its own, which costs time and memory, so they are large.
    constructor(workerUrl, options = {}) {
      const { workers = defaultWorkers(), slice = 32 * 1024 * 1024, inFlight = 2 } = options;
      this.workerUrl = workerUrl;
      this.size = workers;
      this.slice = slice;
      this.inFlight = inFlight;
      this.workers = null;
      this.pending = new Map(); // task id -> {resolve, reject}
      this.lastId = 0;
    }

    start() {
      this.workers = Array.from({ length: this.size }, () => {
        const worker = new Worker(this.workerUrl);
        worker.onmessage = ({ data }) => {
          const task = this.pending.get(data.id);
          this.pending.delete(data.id);
          if (data.error) task.reject(new Error(data.error));
          else task.resolve(new Uint8Array(data.digests));
        };
        worker.onerror = (event) => {
          event.preventDefault();
          this.fail(new Error(event.message || "The hashing worker could not start."));
        };
        return worker;
      });
    }

    // A worker broke: every task fails, and the next file gets new workers.
    fail(error) {
      this.terminate();
      for (const task of this.pending.values()) task.reject(error);
      this.pending.clear();
    }

    digestSlice(worker, file, start, end) {
      const id = (this.lastId += 1);
      return new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        worker.postMessage({ id, file, start, end });
      });
    }

    // The Blob ID of a File (or Blob); `onProgress` hears the fraction digested so far.
    async blobId(file, onProgress = () => {}) {
      if (!this.workers) this.start();
      const lanes = this.workers.flatMap((worker) => Array(this.inFlight).fill(worker));
      // Smaller slices for smaller files, so that every lane has one.
      const share = LEAF * Math.max(1, Math.ceil(file.size / lanes.length / LEAF));
      const slice = Math.min(this.slice, share);
      const slices = Math.max(1, Math.ceil(file.size / slice));
      const digests = new Uint8Array(32 * Math.max(1, Math.ceil(file.size / LEAF)));
      let next = 0;
      let done = 0;
      const work = async (worker) => {
        while (next < slices) {
          const n = next;
          next += 1;
          const start = n * slice;
          const end = Math.min(file.size, start + slice);
          try {
            digests.set(await this.digestSlice(worker, file, start, end), (32 * start) / LEAF);
          } catch (error) {
            next = slices; // the other lanes stop too
            throw error;
          }
          done += end - start;
          onProgress(file.size ? done / file.size : 1);
        }
      };
      await Promise.all(lanes.map(work));
      return blobIdOfLeaves(digests, file.size);
    }

    terminate() {
      for (const worker of this.workers || []) worker.terminate();
      this.workers = null;
    }
  }

  BlobIdPool.blobIdOfLeaves = blobIdOfLeaves;
  self.BlobIdPool = BlobIdPool;
})();
