// Copy buttons: <button class="copy" data-copy="text">.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy[data-copy]");
  if (!button) return;
  // A button named for what it copies ("Copy the curl command") keeps that name, and its name
  // also holds the words it shows ("Copied · Copy the curl command").
  const name = button.dataset.copyName ?? (button.dataset.copyName = button.getAttribute("aria-label") || "");
  const show = (text) => {
    button.textContent = text;
    if (name) button.setAttribute("aria-label", text === "Copy" ? name : `${text} · ${name}`);
  };
  try {
    await navigator.clipboard.writeText(button.dataset.copy);
    show("Copied");
  } catch {
    show("Select and copy");
  }
  setTimeout(() => show("Copy"), 1500);
});
