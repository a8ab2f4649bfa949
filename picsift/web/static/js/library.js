// Library page: while files wait to be indexed, poll the status counts and show progress.
import { api } from "./api.js";

const POLL_MS = 3000;
const section = document.getElementById("progress");
const text = document.getElementById("progress-text");

async function poll() {
  try {
    const s = await api("/ui/status");
    const bar = document.getElementById("progress-bar");
    if (s.pending > 0) {
      text.textContent = `${s.ok} photos indexed, ${s.pending} waiting (${s.done_percent}% done).`;
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

if (Number(section?.dataset.pending) > 0) setTimeout(poll, POLL_MS);
