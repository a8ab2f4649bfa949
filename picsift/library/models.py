"""Which model preset a command uses on a store.

A store is tied to the embedding model that filled it. So a command that opens an existing
store uses the preset the store was indexed with unless told otherwise (``--models`` or
``PICSIFT_PRESET``): ``picsift index DIR --models tiny`` then ``picsift search x`` just works.
A preset given explicitly whose embedder differs from the store's is refused, with one
message, wherever the store is opened (:func:`picsift.store.binding.check_compatible`).
"""

from __future__ import annotations

from picsift.config import Settings
from picsift.errors import PresetError
from picsift.models.presets import Preset, PresetCatalog
from picsift.store import IMAGE_SPACE, Store
from picsift.store.binding import recorded_preset


def explicit_preset(settings: Settings, name: str | None) -> str | None:
    """The preset the user asked for: ``--models``, else ``PICSIFT_PRESET``, else None."""
    if name:
        return name
    return settings.preset if "preset" in settings.model_fields_set else None


def choose_preset(settings: Settings, name: str | None, store: Store | None = None) -> Preset:
    """The preset to run: the one asked for, else the store's, else the configured default."""
    presets = PresetCatalog(settings.home / "presets.toml")
    chosen = explicit_preset(settings, name)
    if chosen is None and store is not None:
        chosen = indexed_with(store, presets)
    return presets.preset(chosen or settings.preset)


def indexed_with(store: Store, presets: PresetCatalog) -> str | None:
    """The name of the preset that filled ``store``, or None for a store without images.

    Stores indexed before the name was recorded are matched by their image model: the first
    preset (by name) whose embedder made the stored vectors.
    """
    recorded = recorded_preset(store)
    if recorded is not None and recorded in presets.names():
        return recorded
    model = store.images.space_model(IMAGE_SPACE)
    if model is None:
        return None
    for name in presets.names():
        try:
            if presets.preset(name).embedder.model_id == model:
                return name
        except PresetError:  # a broken user preset must not hide the others
            continue
    return None
