"""A small LRU of query text vectors, per model.

Paging through results, search-as-you-type re-sending the same words and the web UI asking
again after a filter change all embed the same text; the text tower is the largest part of a
search's time (about 15 ms of CLIP ViT-B/32 on two cores), so repeats are answered from here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from picsift.models.base import TextEmbedder


class TextVectorCache:
    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def embed(self, model: TextEmbedder, texts: Sequence[str]) -> np.ndarray:
        """``model.embed_texts(texts)``, computing only the texts not seen recently."""
        keys = [(model.model_id, t) for t in texts]
        found: dict[int, np.ndarray] = {}
        with self._lock:
            for i, key in enumerate(keys):
                if key in self._items:
                    self._items.move_to_end(key)
                    found[i] = self._items[key]
            self.hits += len(found)
            self.misses += len(keys) - len(found)
        missing = [i for i in range(len(keys)) if i not in found]
        if missing:
            fresh = model.embed_texts([texts[i] for i in missing])
            with self._lock:
                for i, vector in zip(missing, fresh, strict=True):
                    found[i] = vector
                    if self._size:
                        self._items[keys[i]] = vector
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        if not keys:
            return np.zeros((0, 0), np.float32)
        return np.stack([found[i] for i in range(len(keys))])
