// Category page: rename in place (PATCH /categories/{id}); Unsorted has no form.
import { api, say } from "./api.js";

const form = document.getElementById("rename");
if (form) {
  const open = document.getElementById("rename-open");
  const input = document.getElementById("rename-input");
  const status = document.getElementById("rename-status");
  const heading = document.getElementById("category-name");
  const crumb = document.querySelector(".crumbs [aria-current=page]");

  const show = (visible) => {
    form.hidden = !visible;
    open.setAttribute("aria-expanded", String(visible));
    if (visible) {
      input.value = heading.textContent;
      input.focus();
      input.select();
    } else {
      open.focus();
    }
  };

  async function save(name) {
    say(status, "Saving…");
    try {
      const category = await api(`/categories/${form.dataset.id}`, { method: "PATCH", body: { name } });
      heading.textContent = category.name;
      if (crumb) crumb.textContent = category.name;
      document.title = `${category.name} · picsift`;
      say(status, "");
      show(false);
      say(document.getElementById("rename-done") || status, `Renamed to “${category.name}”.`);
    } catch (error) {
      say(status, error.message, true);
    }
  }

  open.addEventListener("click", () => show(form.hidden));
  document.getElementById("rename-cancel").addEventListener("click", () => show(false));
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") show(false);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save(input.value);
  });
  document.getElementById("rename-reset")?.addEventListener("click", () => save(null));
}
