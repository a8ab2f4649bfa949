"""Web UI speed in headless Chromium on a 10,000-image library: page loads and
search-as-you-type latency.

The store is synthetic but goes through the store API as indexing would (like
``bench_search.py``): clustered 512-d image vectors, 12-word Zipf captions, their MiniLM
vectors (the real model, ``sync_text_vectors``), and categories from ``CategoryService``. Every
row points at a hard link to one of the 20 sample photos (with that photo's SHA-256), so
thumbnails are real JPEGs, shared by the rows of one photo. Queries are embedded by the
default CLIP architecture's text tower at random weights (the real compute), served by
``picsift serve`` on loopback, and the pages are driven by Debian's Chromium.

Measured (medians):
- page load of ``/ui`` (library) and ``/ui/search``: DOMContentLoaded and load event (all
  thumbnails in), each in a fresh browser context (empty browser cache, warm server);
- search as you type: a query typed at ~60 ms per key; the time from the last keystroke to
  the frame after the results grid is filled (``#results[data-latency-ms]``, which includes
  the 150 ms debounce), the same minus the debounce, and the ``/search`` request alone.

Run: ``.venv/bin/python bench/bench_web.py [--size 10000] [--rounds 15] [--queries 30]``.
The store is kept in ``bench/results/web-store-SIZE`` and reused; ``--rebuild`` remakes it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_search import DIM, caption_words, clustered, pct

from tests.web.live import CHROMIUM, CHROMIUM_ARGS  # one browser set-up for tests and bench

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "data" / "samples"
DEBOUNCE_MS = 150  # picsift/web/static/js/search.js
KEY_DELAY_MS = 60


def _presets(work: Path) -> str:
    return (
        f'[models.bench-clip]\nkind = "embedder"\nbackend = "open_clip"\n'
        f'repo = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"\npath = "{work / "clip"}"\n'
        '[presets.bench]\nembedder = "bench-clip"\ncaptioner = "florence-2-base"\n'
        "meaningless = true\n"
    )


def build_store(work: Path, n: int) -> None:
    """A library of ``n`` rows through the store API, then caption vectors and categories."""
    import hashlib

    from picsift.cluster.service import CategoryService
    from picsift.config import Settings
    from picsift.indexer.text_vectors import sync_text_vectors
    from picsift.models.presets import PresetCatalog
    from picsift.models.provider import ModelProvider
    from picsift.models.tiny import build_full_size_random
    from picsift.store import Analysis, Store

    home = work / "home"
    home.mkdir(parents=True)
    build_full_size_random("clip-vit-b-32", work / "clip")
    (home / "presets.toml").write_text(_presets(work))
    settings = Settings(home=home)
    preset = PresetCatalog(home / "presets.toml").preset("bench")
    models = ModelProvider(settings, preset)
    samples = sorted(SAMPLES.glob("*.jpg"))
    shas = [hashlib.sha256(p.read_bytes()).hexdigest() for p in samples]
    files = work / "photos"
    rng = np.random.default_rng(5)
    words, freq = caption_words()
    centres = np.random.default_rng(0).standard_normal((200, DIM), dtype=np.float32)
    data = clustered(n, 2, centres)
    paths = []
    for i in range(n):
        folder = files / f"{i // 1000:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"img{i:05d}.jpg"
        source = samples[i % len(samples)]
        try:
            os.link(source, path)
        except OSError:
            shutil.copyfile(source, path)
        paths.append(str(path))
    t = time.perf_counter()
    with Store(home) as store:
        cat = store.catalog
        cat.add_pending((p, 1, 1) for p in paths)
        cat.bind_model("image", preset.embedder.model_id, DIM)
        batch = []
        for i, path in enumerate(paths):
            caption = " ".join(rng.choice(words, 12, p=freq))
            batch.append(
                Analysis(
                    path,
                    shas[i % len(samples)],
                    1,
                    1,
                    400,
                    534,
                    "JPEG",
                    None,
                    caption,
                    preset.embedder.model_id,
                    "none",
                    {"image": (preset.embedder.model_id, data[i])},
                )
            )
            if len(batch) == 2000:
                cat.commit_analyses(batch)
                batch = []
        cat.commit_analyses(batch)
        print(f"rows committed in {time.perf_counter() - t:.1f}s", flush=True)
        t = time.perf_counter()
        sync_text_vectors(cat, models)
        print(f"caption vectors in {time.perf_counter() - t:.1f}s", flush=True)
        t = time.perf_counter()
        report = CategoryService(store, models, settings).cluster("images")
        print(f"clustered in {time.perf_counter() - t:.1f}s: {report}"[:300], flush=True)
        store.vector_index("image")


class Server:
    def __init__(self, work: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "PICSIFT_HOME": str(work / "home"),
            "PICSIFT_PRELOAD_MODELS": "0",  # the captioner is never needed here
            "PICSIFT_PRESET": "bench",
        }
        env.pop("PICSIFT_API_KEY", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "picsift", "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait(self) -> None:
        import httpx

        deadline = time.monotonic() + 120
        with httpx.Client(base_url=self.url, timeout=120, trust_env=False) as http:
            while time.monotonic() < deadline:
                try:
                    if http.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.3)
            # load the text models and the FAISS files before timing anything
            http.get("/search", params={"q": "warm up"}).raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def page_loads(browser: Any, url: str, path: str, rounds: int) -> dict[str, Any]:
    dcl, load = [], []
    for i in range(rounds + 1):
        context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(path, wait_until="load")
        timing = page.evaluate(
            "(() => { const n = performance.getEntriesByType('navigation')[0];"
            " return [n.domContentLoadedEventEnd, n.loadEventEnd]; })()"
        )
        if i:  # the first round warms the server (thumbnails, caches)
            dcl.append(timing[0])
            load.append(timing[1])
        context.close()
    return {
        "dom_content_loaded_ms": round(statistics.median(dcl), 1),
        "load_ms": round(statistics.median(load), 1),
        "load_p90_ms": round(pct(load, 90), 1),
    }


def typing(browser: Any, url: str, queries: list[str]) -> dict[str, Any]:
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto("/ui/search")
    box = page.locator("#q")
    after_key, requests = [], []
    for query in queries:
        box.fill("")
        page.wait_for_selector("#results[data-state=idle]", state="attached")
        page.evaluate("performance.clearResourceTimings()")
        box.press_sequentially(query, delay=KEY_DELAY_MS)
        page.wait_for_selector("#results[data-state=done]", state="attached", timeout=30_000)
        page.wait_for_function("document.querySelector('#results').dataset.latencyMs")
        after_key.append(float(page.eval_on_selector("#results", "e => e.dataset.latencyMs")))
        fetches = page.evaluate(
            "performance.getEntriesByType('resource')"
            ".filter(e => e.name.includes('/search?')).map(e => e.duration)"
        )
        if fetches:
            requests.append(fetches[-1])
        page.eval_on_selector("#results", "e => { delete e.dataset.latencyMs; }")
    context.close()
    return {
        "queries": len(queries),
        "last_key_to_results_ms": round(statistics.median(after_key), 1),
        "last_key_to_results_p90_ms": round(pct(after_key, 90), 1),
        "after_debounce_ms": round(statistics.median(after_key) - DEBOUNCE_MS, 1),
        "search_request_ms": round(statistics.median(requests), 1) if requests else None,
        "debounce_ms": DEBOUNCE_MS,
        "key_delay_ms": KEY_DELAY_MS,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=15, help="Page loads per page.")
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "web.json")
    args = ap.parse_args()
    work = REPO / "bench" / "results" / f"web-store-{args.size}"
    if args.rebuild and work.exists():
        shutil.rmtree(work)
    if not (work / "home" / "catalog.db").exists():
        shutil.rmtree(work, ignore_errors=True)
        build_store(work, args.size)
    words, freq = caption_words()
    rng = np.random.default_rng(11)
    queries = [" ".join(rng.choice(words, 2, p=freq)) for _ in range(args.queries)]

    from playwright.sync_api import sync_playwright

    server = Server(work)
    try:
        server.wait()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            result: dict[str, Any] = {
                "size": args.size,
                "note": "synthetic store, random-weight CLIP text tower, real MiniLM; loopback",
                "library": page_loads(browser, server.url, "/ui", args.rounds),
                "search_page": page_loads(browser, server.url, "/ui/search", args.rounds),
                "category_page": page_loads(browser, server.url, "/ui/categories/1", args.rounds),
                "typing": typing(browser, server.url, queries),
            }
            browser.close()
    finally:
        server.stop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
