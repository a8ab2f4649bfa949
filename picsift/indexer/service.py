"""The incremental indexer: what changed since the last run, and only that, goes to the models.

Unchanged files (same size and mtime) are skipped without being read. Changed files are
hashed; identical bytes only refresh the stat. New files are recorded as ``pending`` first,
so a killed run resumes exactly where it stopped; results are committed one batch per
transaction, so a kill loses at most the batch in flight. Files that vanished are matched by
hash to new paths (a move keeps its id and results) before the rest are pruned.

Files are read and analysed on this machine, or by an :class:`Executor` elsewhere (Ray);
planning, shortcuts and commits are the same for both (:mod:`picsift.indexer.outcomes`).
"""

from __future__ import annotations

import time
from collections.abc import Generator, Sequence
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Protocol

from picsift.config import Settings
from picsift.describe.facets import FACETS
from picsift.errors import PicsiftError
from picsift.imaging.sandbox import DecodeSandbox, ImageDecoder
from picsift.indexer.analyse import Analyser
from picsift.indexer.captions import load_captions_file
from picsift.indexer.facets import index_facet_names
from picsift.indexer.outcomes import IndexReport, NoProgress, Outcomes, Plan, Progress, make_plan
from picsift.indexer.pipeline import Loaded, load_ahead, user_caption_of
from picsift.indexer.text_vectors import sync_text_vectors
from picsift.indexer.timing import Stopwatch
from picsift.models.provider import ModelSource
from picsift.prompts.sweep import sync_agreement
from picsift.store import IMAGE_SPACE, SPACES, USER_CAPTION_SPACE, Store
from picsift.store.binding import check_compatible, remember_preset

__all__ = ["Executor", "IndexReport", "Indexer", "Progress"]


class Executor(Protocol):
    """Reads and analyses a plan's files somewhere else (a Ray cluster), reporting each
    file's outcome through ``outcomes`` as the local loop does."""

    def process(self, plan: Plan, outcomes: Outcomes) -> None: ...


class Indexer:
    def __init__(
        self,
        store: Store,
        models: ModelSource,
        settings: Settings,
        executor: Executor | None = None,
        decoder: ImageDecoder | None = None,
    ) -> None:
        """``decoder`` is shared when given (the API's); otherwise each run starts its own
        decode sandbox and ends it when the run ends."""
        self._store = store
        self._decoder = decoder
        self._models = models
        self._settings = settings
        self._analyser = Analyser(models, settings)
        self._facets = self._analyser.facets
        self._executor = executor

    def warm(self) -> None:
        """Load the models and prepare the index facets now, so that the first file a
        watcher sees is indexed in well under a second, not after the loading."""
        self._models.embedder()
        self._models.captioner()
        self._facets.warm(index_facet_names(self._settings))

    def run(
        self,
        roots: Sequence[Path],
        progress: Progress | None = None,
        captions_file: Path | None = None,
        update_index: bool = True,
    ) -> IndexReport:
        """Bring the store up to date with ``roots``; ``captions_file`` adds people's captions
        (JSONL, paths relative to the first folder in ``roots``).

        ``update_index=False`` leaves the vector indexes to whoever serves them: the API's
        store updates a large index in a background thread while the old one answers, so one
        upload does not wait for an index of a million vectors to be rewritten (25 to 35 s).
        """
        progress = progress or NoProgress()
        started = time.perf_counter()
        report = IndexReport()
        self._check_model()
        facet_names = index_facet_names(self._settings)
        self._facets.check(facet_names)  # a bad vocabulary stops us here
        given = self._read_captions(roots, captions_file)
        clock = report.stages
        with self._store.writer_lock():
            catalog = self._store.catalog
            with clock.stage("scan"):
                plan = make_plan(catalog, roots, report)
            if plan.todo and FACETS.batched(facet_names):
                # e.g. tag vocabularies: one-off per model and vocabulary set (minutes on a
                # CPU), then cached on disk
                progress.stage("preparing facets")
                with clock.stage("prepare facets"):
                    self._facets.warm(facet_names)
                progress.stage("indexing")
            progress.start(len(plan.todo))
            outcomes = Outcomes(catalog, plan, report, progress)
            if self._executor is None:
                self._process(plan, outcomes, clock)
            else:
                committed = clock.seconds.get("commit", 0.0)
                with clock.stage("remote analysis"):
                    self._executor.process(plan, outcomes)
                # the commits inside were timed as "commit" already: count them once
                clock.add("remote analysis", committed - clock.seconds.get("commit", 0.0))
            with clock.stage("prune"):
                outcomes.prune()
                report.user_captions = catalog.set_user_captions(
                    plan.user_captions | given, USER_CAPTION_SPACE
                )
            with clock.stage("caption vectors"):
                report.text_vectors = sync_text_vectors(catalog, self._models)
            with clock.stage("prompt agreement"):
                report.prompts_checked = sync_agreement(
                    self._store.prompts,
                    self._models.embedder,
                    IMAGE_SPACE,
                    support=self._settings.prompt_support,
                )
            if update_index:
                with clock.stage("vector index"):
                    for space in SPACES:
                        self._store.vector_index(space, save=True)
        report.seconds = time.perf_counter() - started
        return report

    def _check_model(self) -> None:
        """Refuse early, before any model loads, if the store belongs to another model; then
        remember the preset, so later commands on this store use it by default."""
        preset = self._models.preset
        check_compatible(self._store, preset.name, preset.embedder.model_id)
        remember_preset(self._store, preset.name)

    @staticmethod
    def _read_captions(roots: Sequence[Path], captions_file: Path | None) -> dict[str, str]:
        if captions_file is None:
            return {}
        folders = [r for r in roots if r.is_dir()]
        if not folders:
            raise PicsiftError("--captions needs a folder to index: its paths are relative to it")
        return load_captions_file(captions_file, folders[0])

    def _process(self, plan: Plan, outcomes: Outcomes, clock: Stopwatch) -> None:
        """Decode in worker threads ahead of the models; analyse what no shortcut settles."""
        lookahead = max(2 * self._settings.batch_size, 8)
        with ExitStack() as stack:
            decoder = self._decoder or stack.enter_context(DecodeSandbox(self._settings))
            loaded = stack.enter_context(
                closing(load_ahead(plan.todo, self._settings, lookahead, decoder, self._facets))
            )
            self._consume(loaded, outcomes, clock)

    def _consume(
        self,
        loaded: Generator[Loaded, None, None],
        outcomes: Outcomes,
        clock: Stopwatch,
    ) -> None:
        batch: list[Loaded] = []
        for item in clock.waiting(loaded, "read"):
            if item.error is not None or item.decoded is None or item.sha256 is None:
                outcomes.failed(
                    item.file, item.error or "unknown error", item.sha256, item.transient
                )
                continue
            outcomes.user_caption(item.file, user_caption_of(item))
            if outcomes.shortcut(item.file, item.sha256):
                continue
            batch.append(item)
            if len(batch) >= self._settings.batch_size:
                self._analyse(batch, outcomes, clock)
                batch = []
        self._analyse(batch, outcomes, clock)

    def _analyse(self, batch: list[Loaded], outcomes: Outcomes, clock: Stopwatch) -> None:
        t0 = time.perf_counter()
        analyses = self._analyser.analyse(batch, clock)
        outcomes.commit(analyses, time.perf_counter() - t0)
