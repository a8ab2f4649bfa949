"""Which models a store is tied to: the one compatibility check, and the preset it records.

A store is filled by one image model; mixing two in one index would make search meaningless.
Every way in (index, search, serve) asks :func:`check_compatible` before any model loads,
and indexing records the preset's name, so later commands can default to it
(:mod:`picsift.library.models`).
"""

from __future__ import annotations

from picsift.errors import ModelMismatchError
from picsift.store.ports import LibraryStore
from picsift.store.store import IMAGE_SPACE

PRESET_KEY = "preset"  # catalog meta: the preset the store was last indexed with


def check_compatible(store: LibraryStore, preset: str, model_id: str) -> None:
    """Refuse preset ``preset`` (image model ``model_id``) when the store's image vectors
    come from another model; an empty store takes any."""
    bound = store.images.space_model(IMAGE_SPACE)
    if bound is None or bound == model_id or not store.images.embedding_count(IMAGE_SPACE):
        return
    raise ModelMismatchError(
        f"the store at {store.home} was indexed with {bound}, not {model_id} (preset "
        f"'{preset}'); mixing models in one index would make search meaningless. Leave out "
        f"--models to use the store's own preset, or use another --home / PICSIFT_HOME for "
        f"this model"
    )


def recorded_preset(store: LibraryStore) -> str | None:
    return store.images.meta(PRESET_KEY)


def remember_preset(store: LibraryStore, preset: str) -> None:
    """Record the preset indexing ``store`` (once compatible), for later commands."""
    if recorded_preset(store) != preset:
        store.images.set_meta(PRESET_KEY, preset)
