// Keeps a test-inference job page current: fetches the job's live fragment every
// 1.5 s until the job is confirmed or failed, then stops. The "queued" flash message goes
// once the job has left the queue (the timeline then says where it is).
(function () {
  "use strict";
  const box = document.getElementById("job-live");
  if (!box) return;
  const url = box.dataset.liveUrl;
  let failures = 0;

  function dropStaleFlash() {
    const body = box.querySelector(".job-live-body");
    if (!body || body.dataset.status === "queued") return;
    for (const flash of document.querySelectorAll("[data-queued-flash]")) flash.remove();
  }

  async function refresh() {
    try {
      const response = await fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      box.innerHTML = await response.text();
      failures = 0;
      dropStaleFlash();
      if (box.querySelector("[data-finished]")) {
        box.setAttribute("data-finished", "");
        return;
      }
    } catch (err) {
      failures += 1;
    }
    setTimeout(refresh, Math.min(1500 * 2 ** failures, 30000));
  }
  dropStaleFlash();
  if (!box.hasAttribute("data-finished")) setTimeout(refresh, 1000);
})();
