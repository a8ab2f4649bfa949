"""The incremental indexer: what changed since the last run, and only that, goes to the models.

Unchanged files (same size and mtime) are skipped without being read. Changed files are
hashed; identical bytes only refresh the stat. New files are recorded as ``pending`` first,
so a killed run resumes exactly where it stopped; results are committed one batch per
transaction, so a kill loses at most the batch in flight. Files that vanished are matched by
hash to new paths (a move keeps its id and results) before the rest are pruned.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image

from picsift.config import Settings
from picsift.describe.model import Description
from picsift.describe.model_facets import ModelFacets
from picsift.describe.ocr import OcrReader
from picsift.errors import ModelMismatchError, PicsiftError
from picsift.indexer.captions import load_captions_file
from picsift.indexer.facets import FacetResult
from picsift.indexer.pipeline import Loaded, load_ahead
from picsift.indexer.scan import FileStat, ScanResult, scan
from picsift.indexer.text_vectors import sync_text_vectors
from picsift.models.provider import ModelSource
from picsift.store import IMAGE_SPACE, SPACES, USER_CAPTION_SPACE, Analysis, ImageRow, Store


class Progress(Protocol):
    """Where the indexer reports progress; the CLI draws a bar, tests count calls."""

    def stage(self, name: str) -> None: ...

    def start(self, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...


class _NoProgress:
    def stage(self, name: str) -> None:
        pass

    def start(self, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass


@dataclass
class IndexReport:
    indexed: int = 0
    unchanged: int = 0
    refreshed: int = 0
    moved: int = 0
    copied: int = 0
    pruned: int = 0
    user_captions: int = 0
    text_vectors: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    model_seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return not self.errors


@dataclass
class _Plan:
    todo: list[FileStat] = field(default_factory=list)
    known: dict[str, ImageRow] = field(default_factory=dict)
    missing: dict[str, ImageRow] = field(default_factory=dict)
    user_captions: dict[str, str] = field(default_factory=dict)


class Indexer:
    def __init__(self, store: Store, models: ModelSource, settings: Settings) -> None:
        self._store = store
        self._models = models
        self._settings = settings
        self._facets = ModelFacets(models, settings)

    def run(
        self,
        roots: Sequence[Path],
        progress: Progress | None = None,
        captions_file: Path | None = None,
    ) -> IndexReport:
        """Bring the store up to date with ``roots``; ``captions_file`` adds people's captions
        (JSONL, paths relative to the first folder in ``roots``)."""
        progress = progress or _NoProgress()
        started = time.perf_counter()
        report = IndexReport()
        self._check_model()
        self._facets.check(self._settings.index_facets)  # a bad vocabulary stops us here
        given = self._read_captions(roots, captions_file)
        with self._store.writer_lock():
            plan = self._plan(roots, report)
            if plan.todo and "tags" in self._settings.index_facets:
                # one-off per model and vocabulary set (minutes on a CPU), then cached on disk
                progress.stage("preparing tag vocabularies")
                self._facets.warm(["tags"])
                progress.stage("indexing")
            progress.start(len(plan.todo))
            self._process(plan, report, progress)
            self._prune(plan, report)
            catalog = self._store.catalog
            report.user_captions = catalog.set_user_captions(
                plan.user_captions | given, USER_CAPTION_SPACE
            )
            report.text_vectors = sync_text_vectors(catalog, self._models)
            for space in SPACES:
                self._store.vector_index(space, save=True)
        report.seconds = time.perf_counter() - started
        return report

    def _check_model(self) -> None:
        """Refuse early, before any model loads, if the store belongs to another model."""
        wanted = self._models.preset.embedder.model_id
        bound = self._store.catalog.space_model(IMAGE_SPACE)
        if (
            bound is not None
            and bound != wanted
            and self._store.catalog.embedding_count(IMAGE_SPACE)
        ):
            raise ModelMismatchError(
                f"the store at {self._store.home} was indexed with {bound}, not {wanted} "
                f"(preset '{self._models.preset.name}'); mixing models in one index would make "
                f"search meaningless. Use the same --models preset, or another --home / "
                f"PICSIFT_HOME for this model"
            )

    @staticmethod
    def _read_captions(roots: Sequence[Path], captions_file: Path | None) -> dict[str, str]:
        if captions_file is None:
            return {}
        folders = [r for r in roots if r.is_dir()]
        if not folders:
            raise PicsiftError("--captions needs a folder to index: its paths are relative to it")
        return load_captions_file(captions_file, folders[0])

    def _plan(self, roots: Sequence[Path], report: IndexReport) -> _Plan:
        catalog = self._store.catalog
        scanned = ScanResult()
        plan = _Plan()
        for root in roots:
            absolute = Path(os.path.abspath(root))
            before = len(scanned.files)
            scan(absolute, scanned)
            plan.known.update(catalog.rows_under(str(absolute)))
            if len(scanned.files) == before and not absolute.exists():
                raise PicsiftError(f"{root}: no such file or directory")
        report.errors.extend(scanned.problems)
        seen = {f.path for f in scanned.files}
        new: list[FileStat] = []
        for f in scanned.files:
            row = plan.known.get(f.path)
            if row is None:
                new.append(f)
            elif row.status == "pending" or (row.size, row.mtime_ns) != (f.size, f.mtime_ns):
                plan.todo.append(f)
            else:
                report.unchanged += 1
                if row.status == "error":
                    report.errors.append((row.path, row.error or "unknown error"))
        catalog.add_pending((f.path, f.size, f.mtime_ns) for f in new)
        plan.todo.extend(new)
        plan.todo.sort(key=lambda f: f.path)
        plan.missing = {p: r for p, r in plan.known.items() if p not in seen}
        return plan

    def _process(self, plan: _Plan, report: IndexReport, progress: Progress) -> None:
        catalog = self._store.catalog
        batch: list[Loaded] = []
        by_sha = {r.sha256: r for r in plan.missing.values() if r.sha256 and r.status == "ok"}
        lookahead = max(2 * self._settings.batch_size, 8)
        ocr = OcrReader() if "text" in self._settings.index_facets else None
        for item in load_ahead(plan.todo, self._settings, lookahead, ocr):
            f = item.file
            row = plan.known.get(f.path)
            if item.error is not None or item.decoded is None:
                if not item.transient:
                    catalog.mark_error(f.path, item.error or "unknown error", item.sha256)
                report.errors.append((f.path, item.error or "unknown error"))
                progress.advance()
                continue
            assert item.sha256 is not None
            if item.user_caption:
                plan.user_captions[f.path] = item.user_caption
            if row is not None and row.status == "ok" and row.sha256 == item.sha256:
                catalog.touch(row.id, f.size, f.mtime_ns)
                report.refreshed += 1
            elif (moved := by_sha.pop(item.sha256, None)) is not None:
                catalog.move(moved, f.path, f.size, f.mtime_ns)
                plan.missing.pop(moved.path, None)
                report.moved += 1
            elif twins := catalog.find_done_by_sha(item.sha256):
                catalog.copy_result(twins[0], f.path, item.sha256)
                report.copied += 1
            else:
                batch.append(item)
                if len(batch) >= self._settings.batch_size:
                    self._analyse(batch, report)
                    progress.advance(len(batch))
                    batch = []
                continue
            progress.advance()
        if batch:
            self._analyse(batch, report)
            progress.advance(len(batch))

    def _analyse(self, batch: list[Loaded], report: IndexReport) -> None:
        t0 = time.perf_counter()
        embedder = self._models.embedder()
        captioner = self._models.captioner()
        if report.indexed == 0:  # once per run, before the first vectors are written
            self._store.catalog.bind_model(IMAGE_SPACE, embedder.model_id, embedder.dim)
        images = [item.decoded.image for item in batch if item.decoded is not None]
        vectors = embedder.embed_images(images)
        captions = captioner.caption(images)
        facets = self._model_facets(batch, images, vectors)
        analyses = []
        for item, vector, caption, facet in zip(batch, vectors, captions, facets, strict=True):
            d = item.decoded
            assert d is not None and item.sha256 is not None
            analyses.append(
                Analysis(
                    path=item.file.path,
                    sha256=item.sha256,
                    size=item.file.size,
                    mtime_ns=item.file.mtime_ns,
                    width=d.width,
                    height=d.height,
                    format=d.format,
                    taken_at=d.taken_at,
                    caption=caption,
                    embedder=embedder.model_id,
                    captioner=captioner.model_id,
                    vectors={IMAGE_SPACE: (embedder.model_id, vector)},
                    facets=facet.json if facet else None,
                    tags=facet.tags if facet else None,
                    ocr_text=facet.ocr_text if facet else None,
                )
            )
        self._store.catalog.commit_analyses(analyses)
        report.indexed += len(analyses)
        report.model_seconds += time.perf_counter() - t0

    def _model_facets(
        self, batch: list[Loaded], images: list[Image.Image], vectors: np.ndarray
    ) -> list[FacetResult | None]:
        """The workers' facets plus tags and objects, which need the models."""
        names = [n for n in self._settings.index_facets if n in ("tags", "objects")]
        if not names:
            return [item.facets for item in batch]
        base = [item.facets.description if item.facets else Description() for item in batch]
        done = self._facets.apply(base, images, names, vectors)
        return [
            FacetResult(d, item.facets.ocr_text if item.facets else None)
            for d, item in zip(done, batch, strict=True)
        ]

    def _prune(self, plan: _Plan, report: IndexReport) -> None:
        gone = [r.id for p, r in plan.missing.items() if not os.path.lexists(p)]
        report.pruned = self._store.catalog.delete(gone)
