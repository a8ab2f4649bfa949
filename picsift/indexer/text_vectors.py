"""Sentence vectors for caption text, computed from what the catalog already stores.

Caption text is the source and its vectors are cheap to recompute, so this runs as a sweep
after indexing: whatever caption lacks a vector (new rows, edited user captions, a store from
before this channel existed, or a new text model) gets one. A killed run simply leaves work
for the next sweep.
"""

from __future__ import annotations

from picsift.models.base import TextEmbedder
from picsift.models.provider import ModelSource
from picsift.store import Catalog
from picsift.store.records import TEXT_SPACES


def sync_text_vectors(catalog: Catalog, models: ModelSource, batch: int = 64) -> int:
    """Embed every caption that has no vector yet; returns how many were embedded."""
    spec = models.preset.text_embedder
    if spec is None:
        return 0
    done = 0
    embedder: TextEmbedder | None = None
    for space, column in TEXT_SPACES:
        bound = catalog.space_model(space)
        if bound is not None and bound != spec.model_id:
            catalog.drop_space(space)  # another text model filled it: recompute from the text
        while rows := catalog.texts_missing_vectors(space, column, batch):
            embedder = embedder or models.text_embedder()
            catalog.bind_model(space, embedder.model_id, embedder.dim)
            vectors = embedder.embed_texts([text for _, text in rows])
            catalog.put_vectors(
                space, embedder.model_id, [i for i, _ in rows], vectors, embedder.runtime
            )
            done += len(rows)
    return done
