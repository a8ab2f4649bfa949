// Search page: results fill as you type (debounced), filters, search by example, why-ranked.
import { api, say, shortAlt, thumbLink } from "./api.js";
import { dropZone } from "./drop.js";

const DEBOUNCE_MS = 150;
const PAGE = 24;

const form = document.getElementById("search-form");
const box = document.getElementById("q");
const results = document.getElementById("results");
const summary = document.getElementById("summary");
const more = document.getElementById("more");
const filterCount = document.getElementById("filter-count");
const example = dropZone(document.getElementById("drop"), document.getElementById("example"), () =>
  run(),
);

let timer = 0;
let inflight = null;
let lastInputAt = 0;
let offset = 0;

function filters() {
  const data = new FormData(form);
  return {
    category: data.getAll("category"),
    format: data.getAll("format"),
    tag: (data.get("tag") || "").split(",").map((t) => t.trim()).filter(Boolean),
    after: data.get("after") || "",
    before: data.get("before") || "",
    folder: (data.get("folder") || "").trim(),
    people: (data.get("people") || "").trim(),
    region: (data.get("region") || "").split(",").map((r) => r.trim()).filter(Boolean),
    shot: data.getAll("shot"),
    generated: data.get("generated") || "",
    generator: data.getAll("generator"),
  };
}

function activeFilters(f) {
  return (
    f.category.length + f.format.length + f.tag.length + f.region.length + f.shot.length +
    f.generator.length + [f.after, f.before, f.folder, f.people, f.generated].filter(Boolean).length
  );
}

/** Why a hit ranked where it did: its rank and score in every channel that found it. */
function why(hit) {
  const details = document.createElement("details");
  const label = document.createElement("summary");
  label.textContent = "Why this result";
  const list = document.createElement("dl");
  for (const [channel, info] of Object.entries(hit.channels)) {
    const dt = document.createElement("dt");
    dt.textContent = channel;
    const dd = document.createElement("dd");
    dd.textContent = `#${info.rank} (score ${Number(info.score).toFixed(3)})`;
    list.append(dt, dd);
  }
  const dt = document.createElement("dt");
  dt.textContent = "fused";
  const dd = document.createElement("dd");
  dd.textContent = Number(hit.score).toFixed(4) + (hit.duplicate_of ? `, near-duplicate of #${hit.duplicate_of}` : "");
  list.append(dt, dd);
  details.append(label, list);
  return details;
}

function render(page, append) {
  if (!append) results.replaceChildren();
  for (const hit of page.hits) {
    const item = document.createElement("li");
    item.className = "result";
    item.append(thumbLink(hit.id, shortAlt(hit.user_caption || hit.caption)), why(hit));
    results.append(item);
  }
  const shown = results.children.length;
  more.hidden = shown >= page.total;
  const what = box.value.trim() ? `“${box.value.trim()}”` : "the example";
  say(summary, page.total ? `${page.total} result${page.total === 1 ? "" : "s"} for ${what}${shown < page.total ? `, showing ${shown}` : ""}` : `No results for ${what}.`);
  // Results are painted on the next frame: record the latency from the last keystroke.
  requestAnimationFrame(() => {
    if (lastInputAt) results.dataset.latencyMs = String(Math.round(performance.now() - lastInputAt));
    results.dataset.state = "done";
  });
}

async function run(append = false) {
  clearTimeout(timer);
  const q = box.value.trim();
  const f = filters();
  const n = activeFilters(f);
  filterCount.textContent = n ? `(${n} on)` : "";
  const url = new URL(location.href);
  if (q) url.searchParams.set("q", q);
  else url.searchParams.delete("q");
  history.replaceState(null, "", url);
  if (inflight) inflight.abort();
  const file = example.file();
  if (!q && !file) {
    results.replaceChildren();
    more.hidden = true;
    results.dataset.state = "idle";
    say(summary, "Type to search, or add an example image.");
    return;
  }
  offset = append ? offset + PAGE : 0;
  inflight = new AbortController();
  results.dataset.state = "loading";
  results.setAttribute("aria-busy", "true");
  try {
    let page;
    if (file) {
      const body = new FormData();
      body.append("file", file);
      if (q) body.append("q", q);
      body.append("limit", String(PAGE));
      body.append("offset", String(offset));
      page = await api("/search/image", { method: "POST", body, signal: inflight.signal });
    } else {
      page = await api("/search", { params: { q, limit: PAGE, offset, ...f }, signal: inflight.signal });
    }
    render(page, append);
  } catch (error) {
    if (error.name === "AbortError") return;
    results.dataset.state = "error";
    say(summary, error.message, true);
  } finally {
    results.removeAttribute("aria-busy");
  }
}

box.addEventListener("input", () => {
  lastInputAt = performance.now();
  clearTimeout(timer);
  timer = setTimeout(run, DEBOUNCE_MS);
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  lastInputAt = performance.now();
  run();
});
form.addEventListener("change", (event) => {
  if (event.target !== box && event.target.type !== "file") run();
});
document.getElementById("filters-clear").addEventListener("click", () => {
  for (const input of document.querySelectorAll("#filters input, #filters select")) {
    if (input.type === "checkbox") input.checked = false;
    else input.value = "";
  }
  run();
});
more.addEventListener("click", () => run(true));

run();
