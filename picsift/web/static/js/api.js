// Shared by the pages: calls to the JSON API (with the page session), thumbnails, drop zones.

/** An error answered by the API: status, machine code and a sentence for people. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Call the JSON API. `params` are appended to the query (arrays repeat the key); a FormData
 * body is sent as multipart, any other body as JSON. The X-Picsift-Request header lets the
 * server accept the page's session cookie for writes (see picsift/web/auth.py).
 */
export async function api(path, { method = "GET", params = {}, body, signal } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== undefined && v !== null && v !== "") url.searchParams.append(key, v);
    }
  }
  const headers = { "X-Picsift-Request": "1", Accept: "application/json" };
  if (body !== undefined && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body);
  }
  const response = await fetch(url, { method, body, signal, headers, credentials: "same-origin" });
  if (!response.ok) {
    let code = "http_error";
    let message = `${response.status} ${response.statusText}`;
    try {
      const error = (await response.json()).error;
      code = error.code;
      message = error.message;
    } catch {
      // not the API's JSON error shape: keep the status line
    }
    if (response.status === 401) {
      location.assign(`/ui/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    }
    throw new ApiError(response.status, code, message);
  }
  return response.json();
}

/** Alt text from a caption: one line, at most 125 characters, never empty. */
export function shortAlt(text, fallback = "Photo") {
  const words = (text || "").split(/\s+/).filter(Boolean).join(" ");
  if (!words) return fallback;
  if (words.length <= 125) return words;
  return `${words.slice(0, 124).replace(/\s+\S*$/, "")}…`;
}

/** A link to an image's page showing its thumbnail. */
export function thumbLink(id, alt, size = 256) {
  const link = document.createElement("a");
  link.className = "thumb";
  link.href = `/ui/images/${id}`;
  const img = document.createElement("img");
  img.src = `/images/${id}/thumbnail?size=${size}`;
  img.alt = alt;
  img.loading = "lazy";
  img.width = size;
  img.height = size;
  link.append(img);
  return link;
}

/** Show a message in a status element (announced by screen readers: role=status). */
export function say(element, text, isError = false) {
  element.textContent = text;
  element.classList.toggle("error", isError);
}
