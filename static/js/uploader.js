// Release page uploader: identify each file by its Blob ID (js/blobid-pool.js: a pool of Web
// Workers at native speed; the sha256 in one Web Worker where the page lacks crypto.subtle),
// ask the server what to do with the whole list, then link, skip or upload each file in
// resumable chunks, with progress and a summary.
// Pause stops sending and keeps the chunks on the server (dropping the file again resumes);
// Cancel throws them away. When a run ends, the page's file list is refreshed in place.
(() => {
  const root = document.getElementById("uploader");
  if (!root) return;
  const list = root.querySelector(".upload-list");
  const summary = root.querySelector(".upload-summary");
  const actions = root.querySelector(".upload-actions");
  const dropzone = root.querySelector(".dropzone");
  const maxSize = Number(root.dataset.maxSize);
  const csrf = root.querySelector("[name=csrfmiddlewaretoken]").value;
  let stopping = null; // null, "pause" or "cancel"
  let currentXhr = null;
  let running = 0; // runs in progress: leaving the page would lose them
  const activeUploads = new Set();
  const PAUSED = "Paused: drop the file again to resume where it stopped";

  // The hub's one way to write sizes (hub/formats.py: human_size).
  const fmtSize = (n) => {
    const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    if (i > 0) return `${n.toFixed(1)} ${units[i]}`;
    return n === 1 ? "1 byte" : `${Math.round(n).toLocaleString("en-US")} bytes`;
  };

  function row(file, path) {
    const li = document.createElement("li");
    li.className = "upload-row";
    li.innerHTML = `
      <div class="upload-head"><span class="upload-path"></span><span class="upload-size muted"></span></div>
      <div class="bars">
        <label>Hash <progress class="hash-bar" max="1" value="0"></progress></label>
        <label>Upload <progress class="upload-bar" max="1" value="0"></progress></label>
        <span class="speed muted"></span>
      </div>
      <p class="upload-status muted">Waiting</p>
      <p class="upload-next" hidden><a class="button button-small button-secondary"></a></p>`;
    li.querySelector(".upload-path").textContent = path;
    li.querySelector(".upload-size").textContent = fmtSize(file.size);
    list.appendChild(li);
    return {
      file, path, li, declared: null, outcome: null, // declared: {blob_id} or {sha256}
      set(status, kind = "") {
        const p = li.querySelector(".upload-status");
        p.textContent = status;
        p.className = `upload-status ${kind || "muted"}`;
        li.dataset.state = kind;
      },
      bar(name, value) { li.querySelector(`.${name}-bar`).value = value; },
      next(text, href) {
        const link = li.querySelector(".upload-next a");
        link.textContent = text;
        link.href = href;
        link.parentElement.hidden = false;
      },
      speed(text) { li.querySelector(".speed").textContent = text; },
    };
  }

  // Files dropped as folders keep their relative paths.
  async function filesFromDrop(dataTransfer) {
    const out = [];
    const walk = async (entry, prefix) => {
      if (entry.isFile) {
        const file = await new Promise((ok, bad) => entry.file(ok, bad));
        out.push({ file, path: prefix + entry.name });
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        let batch;
        do {
          batch = await new Promise((ok, bad) => reader.readEntries(ok, bad));
          for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
        } while (batch.length);
      }
    };
    const entries = [...dataTransfer.items]
      .map((item) => item.webkitGetAsEntry && item.webkitGetAsEntry())
      .filter(Boolean);
    if (entries.length) {
      for (const entry of entries) await walk(entry, "");
    } else {
      for (const file of dataTransfer.files) out.push({ file, path: file.name });
    }
    return out;
  }

  // crypto.subtle exists on HTTPS and localhost only: plain HTTP elsewhere gets the sha256,
  // streamed through hash-wasm, several times slower.
  const pool = window.BlobIdPool && BlobIdPool.supported ? new BlobIdPool(root.dataset.blobidWorkerUrl) : null;
  async function identify(item) {
    if (pool) return { blob_id: await pool.blobId(item.file, (done) => item.bar("hash", done)) };
    return { sha256: await sha256(item) };
  }

  let worker = null;
  const pending = new Map();
  function sha256(item) {
    if (!worker) {
      worker = new Worker(root.dataset.workerUrl);
      worker.onmessage = ({ data }) => {
        const job = pending.get(data.id);
        if (!job) return;
        if (data.progress !== undefined) job.item.bar("hash", data.progress);
        else {
          pending.delete(data.id);
          if (data.error) job.reject(new Error(data.error));
          else job.resolve(data.sha256);
        }
      };
    }
    const id = Math.random().toString(36).slice(2);
    return new Promise((resolve, reject) => {
      pending.set(id, { item, resolve, reject });
      worker.postMessage({ id, file: item.file, hashwasmUrl: new URL(root.dataset.hashwasmUrl, location.href).href });
    });
  }

  // The server's plan for `items`, as each one's `answer`; false (and each failed) if none came.
  async function ask(items) {
    const plan = await postJSON(root.dataset.planUrl, {
      files: items.map((i) => ({ path: i.path, size: i.file.size, ...i.declared })),
    });
    if (!plan.ok) {
      for (const item of items) finish(item, "failed", plan.data.error);
      return false;
    }
    plan.data.files.forEach((answer, n) => { items[n].answer = answer; });
    return true;
  }

  async function postJSON(url, body, method = "POST") {
    let response;
    try {
      response = await fetch(url, {
        method,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch {
      return { ok: false, status: 0, data: { error: "The hub could not be reached: check the connection and drop the files again." } };
    }
    let data = {};
    try { data = await response.json(); } catch { data = { error: `HTTP ${response.status}` }; }
    return { ok: response.ok, status: response.status, data };
  }

  // A chunk to the hub, or (`toStorage`) to a direct upload's presigned part URL: nothing of the
  // hub's own (CSRF token, cookies) goes to the bucket.
  function putChunk(url, blob, onProgress, toStorage = false) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      currentXhr = xhr;
      xhr.open("PUT", url);
      if (!toStorage) {
        xhr.setRequestHeader("X-CSRFToken", csrf);
        xhr.setRequestHeader("Content-Type", "application/octet-stream");
      }
      xhr.upload.onprogress = (e) => onProgress(e.loaded);
      xhr.onload = () => {
        let data = {};
        if (toStorage) data = xhr.status < 300 ? {} : { error: `The storage refused a chunk (HTTP ${xhr.status}).` };
        else try { data = JSON.parse(xhr.responseText); } catch { data = { error: `HTTP ${xhr.status}` }; }
        resolve({ ok: xhr.status < 300, status: xhr.status, data });
      };
      xhr.onerror = () => resolve({ ok: false, status: 0, data: { error: "The connection dropped." } });
      xhr.onabort = () => resolve({ ok: false, status: 0, data: { error: "Cancelled." }, aborted: true });
      xhr.send(blob);
    });
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  async function upload(item) {
    // direct: on S3 the chunks go straight to the bucket when the hub says so (`part_urls`).
    const started = await postJSON(root.dataset.startUrl, { path: item.path, size: item.file.size, ...item.declared, direct: true });
    if (!started.ok) {
      if (started.data.state === "present") return finish(item, "present", "Already in this release: nothing to do");
      return finish(item, started.data.state === "conflict" ? "conflict" : "failed", started.data.error);
    }
    let up = started.data;
    activeUploads.add(up.url);
    const t0 = performance.now();
    let sentThisSession = 0;
    const resumed = up.chunks_received > 0 ? " (resumed)" : "";
    let retries = 0;
    while (up.status === "receiving" && up.chunks_received < up.chunk_count) {
      if (stopping) return stopped(item, up);
      const index = up.chunks_received;
      if (!retries) item.set(`Uploading: chunk ${index + 1} of ${up.chunk_count}${resumed}`);
      const start = index * up.chunk_size;
      const piece = item.file.slice(start, Math.min(item.file.size, start + up.chunk_size));
      const base = up.chunks_received * up.chunk_size;
      const partUrl = up.direct ? (up.part_urls || {})[String(index)] : null;
      if (up.direct && !partUrl) {  // no URL for it in this state: ask for a fresh one
        const fresh = await postJSON(up.url, undefined, "GET");
        if (!fresh.ok || !(fresh.data.part_urls || {})[String(index)]) return finish(item, "failed", fresh.data.error || "The hub gave no address for the next chunk.");
        up = fresh.data;
        continue;
      }
      let result = await putChunk(partUrl || `${up.url}/chunks/${index}`, piece, (loaded) => {
        item.bar("upload", item.file.size ? (base + loaded) / item.file.size : 1);
        const seconds = (performance.now() - t0) / 1000;
        if (seconds > 0.2) item.speed(`${fmtSize((sentThisSession + loaded) / seconds)}/s`);
      }, Boolean(partUrl));
      if (result.aborted) return stopped(item, up);
      if (partUrl && result.ok) {  // at the bucket: the hub checks it there and counts it
        result = await postJSON(`${up.url}/parts`, { through: index + 1 });
      } else if (partUrl && result.status >= 400) {  // e.g. its URL expired: a fresh state
        const fresh = await postJSON(up.url, undefined, "GET");
        if (fresh.ok && retries < 5) { retries += 1; up = fresh.data; continue; }
      }
      if (result.ok) {
        sentThisSession += piece.size;
        up = result.data;
        retries = 0;
      } else if (result.data.upload) {
        up = result.data.upload;  // e.g. a chunk the server had already: continue where it is
      } else if (result.status === 0 && retries < 5) {
        retries += 1;
        item.set(`Connection lost; retrying (${retries}/5)…`, "warning");
        await sleep(1000 * retries);
        const fresh = await postJSON(up.url, undefined, "GET");
        if (fresh.ok) up = fresh.data;
      } else {
        return finish(item, "failed", result.data.error);
      }
    }
    if (stopping === "cancel") return stopped(item, up);
    if (up.status === "failed") return finish(item, "failed", up.error || "The upload failed.");
    item.bar("upload", 1);
    item.set(item.declared.blob_id ? "Verifying the Blob ID and computing the sha256…" : "Verifying sha256 and computing the Blob ID…");
    const giveUp = Date.now() + 15 * 60 * 1000;
    while (up.status === "verifying") {
      if (stopping === "cancel") {
        const last = await postJSON(up.url, undefined, "GET");
        if (last.ok && last.data.status === "done") return finish(item, "uploaded", "Uploaded and verified before Cancel arrived");
        return finish(item, "failed", "Cancelled");
      }
      if (Date.now() > giveUp) {
        activeUploads.delete(up.url);
        return finish(item, "failed", "Still verifying on the server: reload this page later to see the file.");
      }
      await sleep(Math.min(5000, 500 + (Date.now() - (giveUp - 15 * 60 * 1000)) / 20));
      const fresh = await postJSON(up.url, undefined, "GET");
      if (fresh.ok) up = fresh.data;
    }
    activeUploads.delete(up.url);
    if (up.status === "done") return finish(item, "uploaded", "Uploaded and verified");
    return finish(item, "failed", up.error || "The upload failed.");
  }

  function finish(item, outcome, message) {
    item.outcome = outcome;
    const kind = { uploaded: "success", linked: "success", present: "muted", conflict: "error", failed: "error", invalid: "error", paused: "warning" }[outcome];
    item.set(message, kind);
    if (outcome === "conflict" && root.dataset.newReleaseUrl) {
      item.next(`Create ${root.dataset.newReleaseVersion} and upload it there`, root.dataset.newReleaseUrl);
    }
    return outcome;
  }

  // The user pressed Pause (the server keeps the chunks) or Cancel (it drops them).
  function stopped(item, up) {
    if (stopping !== "pause") return finish(item, "failed", "Cancelled");
    activeUploads.delete(up.url);
    return finish(item, "paused", `${PAUSED} (${up.chunks_received} of ${up.chunk_count} chunks sent)`);
  }

  const notStarted = (item) => (stopping === "pause" ? finish(item, "paused", PAUSED) : finish(item, "failed", "Cancelled"));

  // Swap the page's parts marked data-refresh (file count, file list, unfinished uploads) for
  // their fresh versions, so that what was added shows without a reload.
  async function refreshPage() {
    try {
      const response = await fetch(location.href, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const part of document.querySelectorAll("[data-refresh][id]")) {
        const update = fresh.getElementById(part.id);
        if (update) part.replaceWith(document.importNode(update, true));
      }
      return true;
    } catch {
      return false;
    }
  }

  const warnBeforeLeaving = (event) => {
    if (!running) return;
    event.preventDefault();
    event.returnValue = "";
  };
  window.addEventListener("beforeunload", warnBeforeLeaving);

  async function run(entries) {
    if (!entries.length) return;
    running += 1;
    try {
      await runAll(entries);
    } finally {
      running -= 1;
    }
  }

  async function runAll(entries) {
    stopping = null;
    summary.hidden = true;
    actions.hidden = false;
    const items = entries.map(({ file, path }) => row(file, path));
    for (const item of items) {
      if (item.file.size > maxSize) { finish(item, "invalid", `Larger than the limit of ${fmtSize(maxSize)}`); continue; }
      item.set("Hashing…");
      try {
        item.declared = await identify(item);
        item.bar("hash", 1);
        item.set("Hashed");
      } catch (error) {
        finish(item, "failed", `Could not read the file: ${error.message}`);
      }
      if (stopping) break;
    }
    if (stopping) for (const item of items) if (!item.outcome) notStarted(item);
    const ready = items.filter((i) => i.declared && !i.outcome);
    if (ready.length && (await ask(ready))) {
      // A path deleted from the release takes back only its own content, which the server
      // compares by sha256 (by Blob ID its answer could tell who else holds the content).
      const again = ready.filter((i) => i.answer.action === "hash");
      for (const item of again) {
        if (stopping) { notStarted(item); continue; }
        item.set("Hashing (sha256)…");
        try {
          item.declared = { sha256: await sha256(item) };
        } catch (error) {
          finish(item, "failed", `Could not read the file: ${error.message}`);
        }
      }
      const asked = again.filter((i) => !i.outcome && i.declared.sha256);
      if (asked.length) await ask(asked);
      for (const item of ready) {
        if (item.outcome) continue;
        const a = item.answer;
        if (a.action === "present") finish(item, "present", "Already in this release: nothing to do");
        else if (a.action === "conflict") finish(item, "conflict", a.message);
        else if (a.action === "invalid" || a.action === "hash") finish(item, "invalid", a.message);
        else if (a.action === "link") item.set(a.warning ? `${a.warning} Linking…` : `${a.source.label}: linking without transfer`, "warning");
        else item.set("New: will be uploaded");
      }
      for (const item of ready) {
        if (item.outcome) continue;
        if (stopping) { notStarted(item); continue; }
        const a = item.answer;
        if (a.action === "link") {
          const linked = await postJSON(root.dataset.linkUrl, { path: item.path, ...item.declared });
          if (linked.ok) {
            item.bar("upload", 1);
            finish(item, "linked", a.warning ? `Linked. ${a.warning}` : `Linked, ${a.source.label}`);
          } else finish(item, "failed", linked.data.error);
        } else {
          await upload(item);
        }
      }
    }
    actions.hidden = true;
    const count = (o) => items.filter((i) => i.outcome === o).length;
    const paused = count("paused");
    summary.hidden = false;
    summary.innerHTML = "";
    const p = document.createElement("p");
    p.textContent = `Uploaded ${count("uploaded")} · linked ${count("linked")} · already present ${count("present")} · conflicts ${count("conflict")} · failed ${count("failed") + count("invalid")}${paused ? ` · paused ${paused}` : ""}`;
    summary.appendChild(p);
    if (!(await refreshPage()) && count("uploaded") + count("linked")) {
      const a = document.createElement("a");
      a.href = location.pathname;
      a.className = "button button-small";
      a.textContent = "Reload to see the updated file list";
      summary.appendChild(a);
    }
  }

  // An unfinished upload the user will not resume: its chunks are thrown away.
  root.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-discard]");
    if (!button) return;
    button.disabled = true;
    await postJSON(button.dataset.discard, undefined, "DELETE");
    await refreshPage();
  });

  root.querySelector("[data-pause]").addEventListener("click", () => {
    stopping = "pause";
    if (currentXhr) currentXhr.abort(); // that chunk is sent again on resume
  });

  root.querySelector("[data-cancel]").addEventListener("click", async () => {
    stopping = "cancel";
    if (currentXhr) currentXhr.abort();
    for (const url of activeUploads) await postJSON(url, undefined, "DELETE");
    activeUploads.clear();
  });

  for (const picker of root.querySelectorAll("[data-picker]")) {
    picker.addEventListener("change", () => {
      const entries = [...picker.files].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
      picker.value = "";
      run(entries);
    });
  }
  // The keyboard's way in: Enter or Space on the focused drop zone opens the file chooser.
  dropzone.addEventListener("keydown", (e) => {
    if (e.target !== dropzone || (e.key !== "Enter" && e.key !== " ")) return;
    e.preventDefault();
    root.querySelector("[data-picker]").click();
  });
  ["dragenter", "dragover"].forEach((type) => dropzone.addEventListener(type, (e) => {
    e.preventDefault();
    dropzone.classList.add("dragging");
  }));
  ["dragleave", "drop"].forEach((type) => dropzone.addEventListener(type, () => dropzone.classList.remove("dragging")));
  dropzone.addEventListener("drop", async (e) => {
    e.preventDefault();
    run(await filesFromDrop(e.dataTransfer));
  });
})();
