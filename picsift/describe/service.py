"""Describe images on demand: decode, caption, and report basic facts; nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from picsift.config import Settings
from picsift.imaging import DecodedImage
from picsift.indexer.pipeline import load_ahead
from picsift.indexer.scan import FileStat
from picsift.models.provider import ModelSource


@dataclass(frozen=True)
class Description:
    source: str
    caption: str | None
    width: int | None = None
    height: int | None = None
    format: str | None = None
    taken_at: str | None = None
    captioner: str | None = None
    meaningless: bool = False
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class DescribeService:
    def __init__(self, models: ModelSource, settings: Settings) -> None:
        self._models = models
        self._settings = settings

    def describe_files(self, paths: Sequence[Path]) -> Iterator[Description]:
        """One Description per path, in order; bad files give a Description with ``error``."""
        files = [FileStat(str(p), 0, 0) for p in paths]
        batch: list[tuple[str, Any]] = []
        for item in load_ahead(files, self._settings, lookahead=2 * self._settings.batch_size):
            if item.decoded is None:
                yield from self._flush(batch)
                batch = []
                yield Description(item.file.path, None, error=item.error)
                continue
            batch.append((item.file.path, item.decoded))
            if len(batch) >= self._settings.batch_size:
                yield from self._flush(batch)
                batch = []
        yield from self._flush(batch)

    def _flush(self, batch: list[tuple[str, Any]]) -> Iterator[Description]:
        yield from self.describe_decoded(batch)

    def describe_decoded(self, batch: list[tuple[str, DecodedImage]]) -> list[Description]:
        """Caption images already decoded (uploads never touch the disk), in one batch."""
        if not batch:
            return []
        captioner = self._models.captioner()
        captions = captioner.caption([d.image for _, d in batch])
        meaningless = self._models.preset.meaningless
        return [
            Description(
                source,
                caption,
                d.width,
                d.height,
                d.format,
                d.taken_at,
                captioner.model_id,
                meaningless,
            )
            for (source, d), caption in zip(batch, captions, strict=True)
        ]
