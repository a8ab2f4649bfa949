// Edits: the Edit form (image and category pages) starts a job; the job page follows it and
// shows each picture before and after, with a slider.
import { api, say } from "./api.js";

/** A before/after pair: the variant over the original, cut at the slider's position. */
export function compare(beforeId, afterId, label) {
  const figure = document.createElement("figure");
  figure.className = "compare";
  const frame = document.createElement("div");
  frame.className = "compare-frame";
  const before = document.createElement("img");
  before.src = `/images/${beforeId}/thumbnail?size=512`;
  before.alt = `Before: ${label}`;
  const after = document.createElement("img");
  after.src = `/images/${afterId}/thumbnail?size=512`;
  after.alt = `After: ${label}`;
  after.className = "compare-after";
  frame.append(before, after);
  const slider = document.createElement("input");
  slider.type = "range";
  slider.min = "0";
  slider.max = "100";
  slider.value = "50";
  slider.setAttribute("aria-label", "Before and after: move to compare");
  slider.addEventListener("input", () => frame.style.setProperty("--cut", `${slider.value}%`));
  const caption = document.createElement("figcaption");
  const link = document.createElement("a");
  link.href = `/ui/images/${afterId}`;
  link.textContent = label;
  caption.append(link);
  figure.append(frame, slider, caption);
  return figure;
}

/** Wire an Edit form: POST /edit with its fields, then go to the job's page. */
export function editForm(form) {
  const status = form.querySelector(".status");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {
      instruction: data.get("instruction"),
      method: data.get("method") || null,
      candidates: Number(data.get("candidates") || 1),
      seed: Number(data.get("seed") || 0),
      force: data.get("force") === "on",
    };
    if (form.dataset.category !== undefined) body.category = Number(form.dataset.category);
    else body.image_ids = [Number(form.dataset.id)];
    say(status, "Starting the edit…");
    try {
      const job = await api("/edit", { method: "POST", body });
      location.assign(`/ui/edits/${job.job}`);
    } catch (error) {
      say(status, error.message, true);
    }
  });
}

/** The job page: poll until the job ends, then show every picture before and after. */
async function follow(section) {
  const status = document.getElementById("job-status");
  const bar = document.getElementById("job-progress");
  const grid = document.getElementById("pairs");
  for (;;) {
    let job;
    try {
      job = await api(`/edit/${section.dataset.job}`);
    } catch (error) {
      say(status, error.message, true);
      return;
    }
    bar.value = job.progress;
    if (job.status === "queued" || job.status === "running") {
      say(status, `${job.status === "queued" ? "Waiting" : "Editing"}… ${Math.round(job.progress * 100)}%`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    section.dataset.state = job.status;
    if (job.status !== "done") {
      say(status, `The edit ${job.status}${job.error ? `: ${job.error}` : "."}`, true);
      return;
    }
    const made = job.items.filter((item) => item.variant_id);
    say(status, `${made.length} of ${job.items.length} pictures edited: “${job.request.instruction}”.`);
    for (const item of job.items) {
      const cell = document.createElement("li");
      if (item.variant_id) {
        const chosen = item.candidates.find((c) => c.chosen);
        cell.append(compare(item.image_id, item.variant_id, `Image ${item.image_id}: structure ${chosen.structure.toFixed(2)}, effect ${chosen.effect.toFixed(2)}`));
      } else {
        const note = document.createElement("p");
        note.className = "error";
        note.textContent = `Image ${item.image_id}: ${item.error || item.reason}`;
        cell.append(note);
      }
      grid.append(cell);
    }
    return;
  }
}

for (const form of document.querySelectorAll("form.edit")) editForm(form);
for (const frame of document.querySelectorAll(".compare input[type=range]")) {
  frame.addEventListener("input", () => frame.previousElementSibling.style.setProperty("--cut", `${frame.value}%`));
}
const jobSection = document.getElementById("job");
if (jobSection) follow(jobSection);
