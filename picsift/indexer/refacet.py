"""Recompute stored facets after a vocabulary, a facet or a setting changed.

Only the named facets are recomputed; the others stay as stored. No captioning and no image
embedding happen here: tags come from the stored CLIP vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack, closing

import numpy as np

from picsift.config import Settings
from picsift.describe.facets import FACETS, Description
from picsift.describe.facets.runner import FacetRunner
from picsift.describe.facets.tools import FacetTools
from picsift.errors import PicsiftError
from picsift.imaging.ahead import FileStat
from picsift.imaging.sandbox import DecodeSandbox, ImageDecoder
from picsift.indexer.facets import FacetResult, merge_facets, stored_description
from picsift.indexer.pipeline import Loaded, facets_of, load_ahead
from picsift.models.provider import ModelSource
from picsift.store import IMAGE_SPACE, ImageRow, Store


def recompute_facets(
    store: Store,
    settings: Settings,
    names: Sequence[str],
    models: ModelSource | None = None,
    decoder: ImageDecoder | None = None,
) -> tuple[int, list[str]]:
    """Recompute the named facets of every indexed image and keep the others as stored.

    Facets that need the image read the files (colours, composition, text, objects); a
    facet that needs only CLIP vectors (tags) uses the stored ones, so no file is read for it
    alone. Returns (images updated, files that could not be read).
    """
    FACETS.check_names(names)
    needs_models = FACETS.needing_models(names)
    if needs_models and models is None:
        raise PicsiftError(f"recomputing {sorted(needs_models)} needs the models")
    rows = store.catalog.analysed_rows()
    runner = FacetRunner(FacetTools(settings, models))
    runner.check(names)
    uses_vectors = bool(FACETS.needing("clip", names))
    vectors = _stored_vectors(store, [r.id for r in rows]) if uses_vectors else {}
    file_facets = FACETS.needing("image", names)
    done, failed = 0, list[str]()
    with store.writer_lock(), ExitStack() as stack:
        if not file_facets:  # from stored vectors alone: no file read
            for start in range(0, len(rows), 256):
                chunk = [r for r in rows[start : start + 256] if r.id in vectors]
                done += _commit(store, [(r, None) for r in chunk], names, runner, vectors)
            return done, failed
        wanted = settings.model_copy(update={"index_facets": file_facets})
        files = [FileStat(r.path, r.size, r.mtime_ns) for r in rows]
        by_path = {r.path: r for r in rows}
        batch: list[tuple[ImageRow, Loaded | None]] = []
        decoder = decoder or stack.enter_context(DecodeSandbox(settings))
        loaded = stack.enter_context(
            closing(load_ahead(files, wanted, 2 * settings.batch_size, decoder, runner))
        )
        for item in loaded:
            if facets_of(item) is None or item.decoded is None:
                failed.append(f"{item.file.path}: {item.error or 'no facets'}")
                continue
            batch.append((by_path[item.file.path], item))
            if len(batch) >= settings.batch_size:
                done += _commit(store, batch, names, runner, vectors)
                batch = []
        if batch:
            done += _commit(store, batch, names, runner, vectors)
    return done, failed


def _stored_vectors(store: Store, ids: Sequence[int]) -> dict[int, np.ndarray]:
    got_ids, vecs = store.catalog.embeddings(IMAGE_SPACE)
    wanted = set(ids)
    return {int(i): v for i, v in zip(got_ids.tolist(), vecs, strict=True) if i in wanted}


def _commit(
    store: Store,
    pairs: Sequence[tuple[ImageRow, Loaded | None]],
    names: Sequence[str],
    runner: FacetRunner,
    vectors: dict[int, np.ndarray],
) -> int:
    rows = [row for row, _ in pairs]
    items = [item for _, item in pairs]
    found = [facets_of(item) if item is not None else None for item in items]
    fresh = [f.description if f is not None else Description() for f in found]
    batched = FACETS.batched(names)
    if batched:
        images = [item.decoded.image for item in items if item is not None and item.decoded]
        uses_vectors = bool(FACETS.needing("clip", names))
        vecs = np.stack([vectors[r.id] for r in rows]) if uses_vectors else None
        fresh = runner.batched(fresh, images, batched, vecs)
    updates = []
    maps: dict[int, dict[str, bytes]] = {}
    for row, new in zip(rows, fresh, strict=True):
        merged = merge_facets(stored_description(store.catalog.facets_of(row.id)), new, names)
        result = FacetResult(merged)
        if new.maps:
            maps[row.id] = new.maps
        updates.append((row.id, result.json, result.tags, result.ocr_text))
    store.catalog.set_facets(updates, maps)
    return len(updates)
