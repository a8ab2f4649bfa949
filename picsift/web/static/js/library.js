// Library page: while files wait to be indexed (or a folder is watched), poll the status
// counts and show progress.
import { api } from "./api.js";

const POLL_MS = 3000;
const section = document.getElementById("progress");
const text = document.getElementById("progress-text");

async function poll() {
  try {
    const s = await api("/ui/status");
    const bar = document.getElementById("progress-bar");
    const watching = document.getElementById("watch-text");
    if (watching && s.watch) {
      const w = s.watch;
      const settling = w.waiting ? `, ${w.waiting} changed file${w.waiting === 1 ? "" : "s"} settling` : "";
      watching.textContent = `Watching ${w.folders.join(", ")}: ${w.indexed} photos indexed since the server started${settling}.`;
    }
    if (s.pending > 0 || watching) {
      text.textContent = s.pending > 0
        ? `${s.ok} photos indexed, ${s.pending} waiting (${s.done_percent}% done).`
        : `${s.ok} photos indexed.`;
      if (bar) bar.value = s.done_percent;
      setTimeout(poll, POLL_MS);
    } else {
      text.textContent = `${s.ok} photos indexed. Indexing finished: reload to see the latest categories.`;
      bar?.remove();
    }
  } catch {
    setTimeout(poll, POLL_MS * 3);
  }
}

if (Number(section?.dataset.pending) > 0 || document.getElementById("watch-text")) {
  setTimeout(poll, POLL_MS);
}
