// Star buttons (partials/star_button.html): the form posts without reloading the page; without
// this script it is an ordinary POST that comes back to the page.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-star]");
  if (!form) return;
  event.preventDefault();
  const button = form.querySelector("button");
  const field = form.elements.star;
  button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const { starred, stars } = await response.json();
    field.value = starred ? "0" : "1";
    button.setAttribute("aria-pressed", String(starred));
    form.querySelector(".star-label").textContent = starred ? "Starred" : "Star";
    const count = form.querySelector("[data-star-count]");
    const noun = stars === 1 ? "star" : "stars";
    count.title = `${stars} ${noun}`;
    count.firstChild.textContent = stars.toLocaleString("en-US");
    count.querySelector(".visually-hidden").textContent = ` ${noun}`;
  } catch {
    form.submit(); // the page's own way: a POST and a redirect back
  } finally {
    button.disabled = false;
  }
});
