// Describe page: send one image to POST /describe (nothing stored), show and copy the text.
import { api, say } from "./api.js";
import { dropZone } from "./drop.js";

const form = document.getElementById("describe-form");
const go = document.getElementById("describe-go");
const status = document.getElementById("describe-status");
const out = document.getElementById("describe-out");
const copy = document.getElementById("copy");
const copyStatus = document.getElementById("copy-status");
const picked = dropZone(document.getElementById("drop"), document.getElementById("file"), (file) => {
  go.disabled = !file;
  say(status, file ? "Ready: press Describe." : "Choose an image first.");
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = picked.file();
  if (!file) return;
  const data = new FormData(form);
  const body = new FormData();
  body.append("file", file);
  go.disabled = true;
  out.setAttribute("aria-busy", "true");
  say(status, "Describing…");
  try {
    const result = await api("/describe", {
      method: "POST",
      params: { template: data.get("template"), facets: data.getAll("facets").join(",") },
      body,
    });
    out.textContent = result.text ?? result.caption ?? "";
    out.hidden = false;
    copy.hidden = false;
    say(status, `${result.width} × ${result.height} ${result.format}${result.meaningless ? " (random-weight preset: the caption is meaningless)" : ""}.`);
    out.dataset.state = "done";
  } catch (error) {
    say(status, error.message, true);
  } finally {
    go.disabled = false;
    out.removeAttribute("aria-busy");
  }
});

copy.addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(out.textContent);
    say(copyStatus, "Copied.");
  } catch {
    const range = document.createRange();
    range.selectNodeContents(out);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    say(copyStatus, "Selected: press Ctrl+C to copy.");
  }
});
