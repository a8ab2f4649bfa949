"""Catalog rows with given vectors, for index tests that need no images or models."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from picsift.store import Analysis, Store


def fill_vectors(store: Store, numbers: Sequence[int], vectors: np.ndarray, model: str) -> None:
    """One analysed row per number (path ``/p/N.jpg``) holding ``vectors[j]`` in "image"."""
    cat = store.catalog
    cat.add_pending([(f"/p/{i}.jpg", 1, 1) for i in numbers])
    cat.bind_model("image", model, int(vectors.shape[1]))
    cat.commit_analyses(
        [
            Analysis(
                f"/p/{i}.jpg",
                f"{i:064x}",
                1,
                1,
                1,
                1,
                "PNG",
                None,
                "c",
                model,
                "c",
                {"image": (model, vectors[j])},
            )
            for j, i in enumerate(numbers)
        ]
    )
