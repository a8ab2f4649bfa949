// Map page: every categorised photo at its 2-D position (GET /map), coloured by category,
// drawn on a canvas with pan, zoom, hover previews, click to open, and keyboard control.
import { api, say } from "./api.js";

const canvas = document.getElementById("map");
const ctx = canvas.getContext("2d");
const status = document.getElementById("map-status");
const tip = document.getElementById("tip");
const tipImg = document.getElementById("tip-img");
const tipText = document.getElementById("tip-text");
const UNSORTED_COLOUR = "#9a9aa3";
const HIT_RADIUS = 9;

let points = []; // {id, c, x, y} in world units
let order = []; // indices sorted left to right, for n/p stepping
let names = new Map();
let colours = new Map();
let view = { scale: 1, dx: 0, dy: 0 }; // screen = world * scale + d
let selected = -1;

function palette(i) {
  // Well-spread hues (golden angle), readable on light and dark backgrounds.
  return `hsl(${Math.round((i * 137.508) % 360)} 70% 50%)`;
}

function resize() {
  const ratio = window.devicePixelRatio || 1;
  const { width, height } = canvas.getBoundingClientRect();
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
}

function fit() {
  const { width, height } = canvas.getBoundingClientRect();
  if (!points.length) return;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const pad = 24;
  const scale = Math.min((width - 2 * pad) / (x1 - x0 || 1), (height - 2 * pad) / (y1 - y0 || 1));
  view = { scale, dx: (width - (x0 + x1) * scale) / 2, dy: (height - (y0 + y1) * scale) / 2 };
}

const toScreen = (p) => [p.x * view.scale + view.dx, p.y * view.scale + view.dy];

function draw() {
  const { width, height } = canvas.getBoundingClientRect();
  ctx.clearRect(0, 0, width, height);
  const radius = Math.max(2.5, Math.min(7, 2 + Math.log2(view.scale / 40 + 1)));
  for (const p of points) {
    const [sx, sy] = toScreen(p);
    if (sx < -radius || sy < -radius || sx > width + radius || sy > height + radius) continue;
    ctx.fillStyle = colours.get(p.c) || UNSORTED_COLOUR;
    ctx.beginPath();
    ctx.arc(sx, sy, radius, 0, 2 * Math.PI);
    ctx.fill();
  }
  if (selected >= 0) {
    const [sx, sy] = toScreen(points[selected]);
    ctx.lineWidth = 3;
    ctx.strokeStyle = "#ff9f1c";
    ctx.beginPath();
    ctx.arc(sx, sy, radius + 5, 0, 2 * Math.PI);
    ctx.stroke();
  }
}

function nearest(sx, sy) {
  let best = -1;
  let bestD = HIT_RADIUS * HIT_RADIUS;
  points.forEach((p, i) => {
    const [px, py] = toScreen(p);
    const d = (px - sx) ** 2 + (py - sy) ** 2;
    if (d <= bestD) {
      best = i;
      bestD = d;
    }
  });
  return best;
}

function showTip(i) {
  if (i < 0) {
    tip.hidden = true;
    return;
  }
  const p = points[i];
  const [sx, sy] = toScreen(p);
  tipImg.src = `/images/${p.id}/thumbnail?size=128`;
  tipText.textContent = names.get(p.c) || "Unsorted";
  tip.hidden = false;
  const { width } = canvas.getBoundingClientRect();
  tip.style.left = `${Math.min(sx + 12, width - 110)}px`;
  tip.style.top = `${Math.max(sy - 60, 4)}px`;
}

function zoom(factor, cx, cy) {
  const { width, height } = canvas.getBoundingClientRect();
  cx ??= width / 2;
  cy ??= height / 2;
  view.dx = cx - (cx - view.dx) * factor;
  view.dy = cy - (cy - view.dy) * factor;
  view.scale *= factor;
  draw();
}

function select(i) {
  selected = i;
  draw();
  showTip(i);
  if (i >= 0) {
    const p = points[i];
    say(status, `Photo ${p.id}, ${names.get(p.c) || "Unsorted"}: press Enter to open it.`);
  }
}

const open = (i) => location.assign(`/ui/images/${points[i].id}`);

// Pointer: drag pans, a click without movement opens the nearest point, wheel/pinch zooms.
const pointers = new Map();
let moved = 0;
let pinch = 0;
canvas.addEventListener("pointerdown", (event) => {
  canvas.setPointerCapture(event.pointerId);
  pointers.set(event.pointerId, [event.offsetX, event.offsetY]);
  moved = 0;
});
canvas.addEventListener("pointermove", (event) => {
  const last = pointers.get(event.pointerId);
  if (!last) {
    const i = nearest(event.offsetX, event.offsetY);
    canvas.style.cursor = i >= 0 ? "pointer" : "";
    showTip(i);
    return;
  }
  if (pointers.size === 2) {
    pointers.set(event.pointerId, [event.offsetX, event.offsetY]);
    const [a, b] = [...pointers.values()];
    const d = Math.hypot(a[0] - b[0], a[1] - b[1]);
    if (pinch) zoom(d / pinch, (a[0] + b[0]) / 2, (a[1] + b[1]) / 2);
    pinch = d;
    moved += 10;
    return;
  }
  const [x, y] = last;
  view.dx += event.offsetX - x;
  view.dy += event.offsetY - y;
  moved += Math.abs(event.offsetX - x) + Math.abs(event.offsetY - y);
  pointers.set(event.pointerId, [event.offsetX, event.offsetY]);
  tip.hidden = true;
  draw();
});
canvas.addEventListener("pointerup", (event) => {
  pointers.delete(event.pointerId);
  pinch = 0;
  if (moved < 5) {
    const i = nearest(event.offsetX, event.offsetY);
    if (i >= 0) open(i);
  }
});
canvas.addEventListener("pointercancel", (event) => pointers.delete(event.pointerId));
canvas.addEventListener(
  "wheel",
  (event) => {
    event.preventDefault();
    zoom(Math.exp(-event.deltaY / 400), event.offsetX, event.offsetY);
  },
  { passive: false },
);

canvas.addEventListener("keydown", (event) => {
  const step = 40;
  const keys = {
    ArrowLeft: () => { view.dx += step; draw(); },
    ArrowRight: () => { view.dx -= step; draw(); },
    ArrowUp: () => { view.dy += step; draw(); },
    ArrowDown: () => { view.dy -= step; draw(); },
    "+": () => zoom(1.25),
    "=": () => zoom(1.25),
    "-": () => zoom(0.8),
    n: () => select(order[(order.indexOf(selected) + 1) % order.length]),
    p: () => select(order[(order.indexOf(selected) - 1 + order.length) % order.length]),
    Enter: () => selected >= 0 && open(selected),
    Escape: () => select(-1),
  };
  const action = keys[event.key];
  if (action && points.length) {
    event.preventDefault();
    action();
  }
});
document.getElementById("zoom-in").addEventListener("click", () => zoom(1.25));
document.getElementById("zoom-out").addEventListener("click", () => zoom(0.8));
document.getElementById("zoom-reset").addEventListener("click", () => {
  fit();
  draw();
});
window.addEventListener("resize", () => {
  resize();
  fit();
  draw();
});

function legend(tree) {
  const list = document.getElementById("legend");
  const leaves = tree.categories.flatMap((c) => [c, ...(c.children || [])]).filter((c) => !c.is_parent);
  leaves.forEach((c, i) => {
    names.set(c.id, c.name);
    colours.set(c.id, palette(i));
  });
  const used = new Set(points.map((p) => p.c));
  const items = leaves.filter((c) => used.has(c.id)).map((c) => [c.id, c.name, colours.get(c.id)]);
  if (used.has(null)) items.push([0, "Unsorted", UNSORTED_COLOUR]);
  for (const [id, name, colour] of items) {
    const item = document.createElement("li");
    const dot = document.createElement("span");
    dot.style.background = colour;
    dot.setAttribute("aria-hidden", "true");
    const link = document.createElement("a");
    link.href = `/ui/categories/${id}`;
    link.textContent = name;
    item.append(dot, link);
    list.append(item);
  }
}

async function load() {
  try {
    const [map, tree] = await Promise.all([api("/map"), api("/categories")]);
    points = map.points.map((p) => ({ id: p.id, c: p.category_id, x: p.x, y: -p.y }));
    order = points.map((_, i) => i).sort((a, b) => points[a].x - points[b].x);
    legend(tree);
    resize();
    fit();
    draw();
    canvas.setAttribute("aria-label", `Map of ${points.length} photos in ${colours.size} categories`);
    say(status, points.length ? `${points.length} photos on the map.` : "Nothing on the map yet: run picsift cluster first.");
    canvas.dataset.state = "done";
  } catch (error) {
    say(status, `The map could not be loaded: ${error.message}`, true);
  }
}

// For tests and tools: where a photo is drawn, in CSS pixels relative to the canvas.
window.picsiftMap = {
  screenOf(id) {
    const p = points.find((q) => q.id === id);
    return p ? toScreen(p) : null;
  },
  ids: () => points.map((p) => p.id),
};

load();
