// Every page (base.html): what keyboard users need site-wide.
//
// 1. A box that scrolls (a wide table, a long command, the Markdown preview) takes the focus,
//    so the arrow keys can scroll it; boxes that fit are left out of the tab order.
// 2. Escape closes an open menu (<details class="menu">) and gives the focus back to its button;
//    so does a click or a focus outside it.
(() => {
  const SCROLLERS = ".table-wrap, pre, .markdownx-preview, .markdown-body table";

  const kind = (box) => {
    if (box.matches("pre")) return "Code";
    if (box.matches(".markdownx-preview")) return "Preview";
    const caption = box.querySelector("caption");
    return caption ? caption.textContent.trim() : "Table";
  };
  // Each region's name is its own on the page ("Code", "Code 2", …): landmarks are told apart.
  const label = (box) => {
    const taken = new Set([...document.querySelectorAll("[data-scroll-focus][aria-label]")].map((b) => b.getAttribute("aria-label")));
    const base = kind(box);
    let name = `${base} (scrolls)`;
    for (let n = 2; taken.has(name); n += 1) name = `${base} ${n} (scrolls)`;
    return name;
  };

  const mark = () => {
    for (const box of document.querySelectorAll(SCROLLERS)) {
      const scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.dataset.scrollFocus = "";
        if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", label(box));
        }
      } else if (!scrolls && "scrollFocus" in box.dataset && document.activeElement !== box) {
        box.removeAttribute("tabindex");
        delete box.dataset.scrollFocus;
      }
    }
  };
  let queued = false;
  const later = () => {
    if (!queued) {
      queued = true;
      requestAnimationFrame(() => { queued = false; mark(); });
    }
  };
  mark();
  window.addEventListener("resize", later);
  new MutationObserver(later).observe(document.body, { childList: true, subtree: true });
  document.addEventListener("toggle", later, true);  // a <details> opened: its content shows

  const menus = () => document.querySelectorAll("details.menu[open]");
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const menu of menus()) {
      const hadFocus = menu.contains(document.activeElement);
      menu.open = false;
      if (hadFocus) menu.querySelector("summary").focus();
    }
  });
  const closeOutside = (event) => {
    for (const menu of menus()) if (!menu.contains(event.target)) menu.open = false;
  };
  document.addEventListener("click", closeOutside);
  document.addEventListener("focusin", closeOutside);
})();
