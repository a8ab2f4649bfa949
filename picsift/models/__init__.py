"""Model layer: narrow interfaces, presets as data, lazy loading behind a lock."""

from picsift.models.base import Captioner, ImageTextEmbedder, l2_normalize
from picsift.models.presets import ModelSpec, Preset, PresetCatalog

__all__ = ["Captioner", "ImageTextEmbedder", "ModelSpec", "Preset", "PresetCatalog", "l2_normalize"]
