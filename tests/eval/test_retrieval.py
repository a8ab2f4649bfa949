"""``picsift eval retrieval`` on a small library with fake models: every channel and the
fusion, split by query kind and by language, and queries that fail counted as misses."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from picsift.config import Settings
from picsift.eval.retrieval import evaluate, load_queries
from picsift.indexer import Indexer
from picsift.indexer.text_vectors import sync_text_vectors
from picsift.search import SearchService
from picsift.store import USER_CAPTION_SPACE, Store
from tests.fakes import FakeModels

CAPTIONS = {
    "a.png": "a red dress on a wooden hanger",
    "b.png": "blue jeans folded on a bed",
    "c.png": "синие джинсы на кровати",
}
QUERIES = [
    {"query": "red dress", "relevant": ["a.png"], "kind": "short", "lang": "en"},
    {"query": "jeans on a bed", "relevant": ["b.png"], "kind": "short", "lang": "en"},
    {"query": "джинсы", "relevant": ["c.png"], "kind": "short", "lang": "ru"},
    {"query": "", "relevant": ["a.png"], "kind": "broken", "lang": "en"},
]


def test_results_split_by_kind_and_language(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    for i, name in enumerate(CAPTIONS):
        Image.new("RGB", (40, 30), (80 * i, 40, 90)).save(root / name)
    settings = Settings(home=tmp_path / "home", batch_size=4)
    models = FakeModels()
    queries = tmp_path / "queries.jsonl"
    queries.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUERIES))
    with Store(settings.home) as store:
        Indexer(store, models, settings).run([root])
        captions = {str(root / name): text for name, text in CAPTIONS.items()}
        store.catalog.set_user_captions(captions, USER_CAPTION_SPACE)
        sync_text_vectors(store.catalog, models)
        service = SearchService(store, models, settings)
        results = evaluate(
            service,
            store,
            load_queries(queries),
            channels=["words", "caption"],
            fused_weights={"words": 1.0, "caption": 1.0},
            root=root,
            sources=("user",),
        )
    words, _, fused = results
    assert [r.name for r in results] == ["words", "caption", "fused"]
    assert words.by_lang["en"]["n"] == 3 and words.by_lang["ru"]["n"] == 1
    assert words.by_lang["ru"]["R@1"] == 1.0  # the Russian caption, through words
    assert words.by_kind["short"]["R@1"] == 1.0
    # an empty query is refused: a miss with its reason, not the end of the run
    assert words.by_kind["broken"]["R@1"] == 0.0
    assert [text for text, _ in fused.failed] == [""]
