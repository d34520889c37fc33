// The filters of /models (templates/repos/model_list.html): a changed menu updates the list at
// once, so the Apply button goes away. Without this script the button submits the form.
(() => {
  const form = document.querySelector("form[data-filters]");
  if (!form) return;
  const FOCUS_KEY = "model-list:focus"; // the menu that was changed, focused again after the load

  // The address of the list with these filters: empty fields left out, and no page number (the
  // form has none), so that a new list starts on its first page.
  const go = () => {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (String(value).trim() !== "") params.append(name, value);
    }
    const query = params.toString();
    window.location.assign(form.action + (query ? `?${query}` : ""));
  };

  form.addEventListener("change", (event) => {
    if (!(event.target instanceof HTMLSelectElement)) return;
    try {
      sessionStorage.setItem(FOCUS_KEY, event.target.name);
    } catch {
      // storage refused (private mode): the page loads without the focus put back
    }
    go();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go();
  });

  form.querySelector("[data-apply]").hidden = true;
  const hint = form.querySelector("[data-hint]");
  hint.textContent = hint.dataset.hint;

  try {
    const focused = sessionStorage.getItem(FOCUS_KEY);
    sessionStorage.removeItem(FOCUS_KEY);
    if (focused && form.elements[focused]) form.elements[focused].focus();
  } catch {
    // nothing to put back
  }
})();
