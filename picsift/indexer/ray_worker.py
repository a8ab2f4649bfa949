"""The work one Ray actor does: read, hash, decode and analyse a batch of files.

This module does not import Ray: Ray Data calls :class:`AnalyseFiles` as a plain callable
class, once per actor for the constructor (which is where the models are owned, so each
worker loads them once) and once per batch. Rows travel back as plain columns (strings,
numbers, JSON), never as pickled objects, so a driver and workers on different picsift
patch versions fail loudly on a format change rather than misread one.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable
from typing import Any

import numpy as np

from picsift.config import Settings
from picsift.errors import PicsiftError
from picsift.imaging.ahead import FileStat
from picsift.imaging.sandbox import DecodeSandbox
from picsift.indexer.analyse import Analyser
from picsift.indexer.pipeline import Loaded, load_ahead, user_caption_of
from picsift.models.presets import Preset
from picsift.models.provider import ModelProvider
from picsift.store import Analysis

ROW_FORMAT = 3  # 2: runtimes recorded; 3: generation metadata
ANALYSED, KNOWN, FAILED = "analysed", "known", "failed"


class KnownHashes:
    """Hashes the catalog already has results for, as a sorted array of 32-byte digests
    (32 MB per million images, against ~100 MB for a set of hex strings)."""

    def __init__(self, hex_digests: Iterable[str]) -> None:
        raw = sorted({bytes.fromhex(h) for h in hex_digests if h})
        self._digests = np.array(raw, dtype="S32") if raw else np.zeros(0, dtype="S32")

    def __len__(self) -> int:
        return len(self._digests)

    def __contains__(self, hex_digest: object) -> bool:
        if not isinstance(hex_digest, str) or not len(self._digests):
            return False
        key = np.array(bytes.fromhex(hex_digest), dtype="S32")
        i = int(np.searchsorted(self._digests, key))
        return i < len(self._digests) and self._digests[i] == key


def _vector_text(vector: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(vector, dtype="<f4").tobytes()).decode()


def encode_analysis(a: Analysis) -> str:
    """JSON of one result, vectors bit-exact (little-endian float32, base64)."""
    fields = {k: v for k, v in vars(a).items() if k != "vectors"}
    fields["vectors"] = {s: [m, _vector_text(v)] for s, (m, v) in a.vectors.items()}
    return json.dumps({"row_format": ROW_FORMAT, **fields})


def decode_analysis(text: str) -> Analysis:
    try:
        data = json.loads(text)
        row_format = data.pop("row_format", None)
        if row_format == ROW_FORMAT:
            vectors = {
                space: (model, np.frombuffer(base64.b64decode(raw), dtype="<f4").astype(np.float32))
                for space, (model, raw) in data.pop("vectors").items()
            }
            return Analysis(**data, vectors=vectors)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise PicsiftError(f"a Ray worker sent an unreadable result: {exc}") from exc
    raise PicsiftError(
        f"a Ray worker sent results in format {row_format}, this driver reads {ROW_FORMAT}: "
        "install the same picsift version on every node"
    )


COLUMNS = (
    "path",
    "size",
    "mtime_ns",
    "outcome",
    "sha256",
    "error",
    "transient",
    "user_caption",
    "record",
    "seconds",
)


class _Columns:
    """One batch's results, column by column, as Ray Data wants them."""

    def __init__(self) -> None:
        self.data: dict[str, list[Any]] = {k: [] for k in COLUMNS}

    def add(
        self, item: Loaded, outcome: str, error: str = "", record: str = "", seconds: float = 0.0
    ) -> None:
        values = (
            item.file.path,
            item.file.size,
            item.file.mtime_ns,
            outcome,
            item.sha256 or "",
            error,
            item.transient,
            user_caption_of(item) or "",
            record,
            seconds,
        )
        for key, value in zip(COLUMNS, values, strict=True):
            self.data[key].append(value)


class AnalyseFiles:
    """A Ray Data ``map_batches`` callable; one instance per actor owns that actor's models."""

    def __init__(self, settings: Settings, preset: Preset, known: KnownHashes) -> None:
        self._settings = settings
        self._analyser = Analyser(ModelProvider(settings, preset), settings)
        self._known = known
        # the actor's own decode workers, warm for every batch it is given
        self._decoder = DecodeSandbox(settings)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        files = [
            FileStat(str(p), int(s), int(m))
            for p, s, m in zip(batch["path"], batch["size"], batch["mtime_ns"], strict=True)
        ]
        out = _Columns()
        todo: list[Loaded] = []
        for item in load_ahead(
            files, self._settings, max(len(files), 1), self._decoder, self._analyser.facets
        ):
            if item.error is not None or item.decoded is None or item.sha256 is None:
                out.add(item, FAILED, item.error or "unknown error")
            elif item.sha256 in self._known:
                out.add(item, KNOWN)  # the driver settles it (refresh, move or copy)
            else:
                todo.append(item)
        if todo:
            t0 = time.perf_counter()
            analyses = self._analyser.analyse(todo)
            share = (time.perf_counter() - t0) / len(todo)
            for item, analysis in zip(todo, analyses, strict=True):
                out.add(item, ANALYSED, record=encode_analysis(analysis), seconds=share)
        return out.data
