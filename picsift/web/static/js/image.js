// Image page: fill the strip of similar photos from /images/{id}/similar.
import { api, say, shortAlt, thumbLink } from "./api.js";

const strip = document.getElementById("similar");
const status = document.getElementById("similar-status");

async function load() {
  try {
    const page = await api(`/images/${strip.dataset.id}/similar`, { params: { limit: 12 } });
    for (const hit of page.hits) {
      const item = document.createElement("li");
      item.append(thumbLink(hit.id, shortAlt(hit.user_caption || hit.caption)));
      strip.append(item);
    }
    say(status, page.hits.length ? `${page.hits.length} similar photos.` : "No similar photos.");
    strip.dataset.state = "done";
  } catch (error) {
    say(status, `Similar photos could not be loaded: ${error.message}`, true);
    strip.dataset.state = "error";
  }
}

load();

// Overlays of the structure maps (depth, regions, edges): a checkbox shows each over the photo.
const overlays = document.getElementById("overlays");
if (overlays) {
  overlays.addEventListener("change", (event) => {
    const box = event.target;
    for (const img of document.querySelectorAll(`.overlay[data-map="${box.value}"]`)) {
      img.hidden = !box.checked;
    }
    const legend = document.getElementById("region-legend");
    if (legend && box.value === "regions") legend.hidden = !box.checked;
  });
}
