"""One directory holds a library: the catalog, derived vector indexes and a writer lock."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from picsift.errors import StoreError, StoreLockedError
from picsift.store.faiss.background import BackgroundBuilds
from picsift.store.faiss.index_files import read_stamp, try_open
from picsift.store.faiss.index_kinds import FLAT, IndexOptions, kind_for
from picsift.store.faiss.index_refresh import refresh
from picsift.store.faiss.vectors import IndexStamp, VectorIndex
from picsift.store.ports import (
    CategoryRepository,
    EditRepository,
    ImageRepository,
    PromptRepository,
    VectorBackend,
    WordIndex,
)
from picsift.store.records import (
    IMAGE_SPACE,
)
from picsift.store.sqlite.catalog import Catalog
from picsift.store.sqlite.categories import CategoryStore
from picsift.store.sqlite.edits import EditStore
from picsift.store.sqlite.prompts import PromptStore

if TYPE_CHECKING:
    from picsift.config import Settings


class Store:
    def __init__(
        self,
        home: Path,
        *,
        index: IndexOptions | None = None,
        before_background_build: Callable[[str], None] | None = None,
    ) -> None:
        """``index``: the choice of index kinds (``IndexOptions.of(settings)``; defaults when
        None). ``before_background_build(space)`` runs in the worker thread before each
        background build (tests hold or fail a build there)."""
        self.home = home
        self.index_options = index or IndexOptions()
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store directory {home}: {exc}") from exc
        self.catalog = Catalog(home / "catalog.db")
        self.vectors_dir = home / "vectors"
        self._indexes: dict[str, VectorIndex] = {}
        self._index_lock = threading.Lock()
        self._background = BackgroundBuilds(
            self._build_in_background,
            pause_seconds=self.index_options.pause_seconds,
            retry_seconds=self.index_options.retry_seconds,
            before_build=before_background_build,
        )

    @classmethod
    def open(cls, settings: Settings) -> Store:
        """The store at ``settings.home`` with the configured index kinds. Every entry point
        opens it this way: two processes with different index options would rebuild each
        other's index files."""
        return cls(settings.home, index=IndexOptions.of(settings))

    @property
    def words(self) -> WordIndex:
        """The word index (the catalog's full-text table)."""
        return self.catalog

    @property
    def images(self) -> ImageRepository:
        """The image rows (the catalog, seen through its port)."""
        return self.catalog

    @cached_property
    def categories(self) -> CategoryRepository:
        return CategoryStore(self.catalog)

    @cached_property
    def edits(self) -> EditRepository:
        return EditStore(self.catalog)

    @cached_property
    def prompts(self) -> PromptRepository:
        return PromptStore(self.catalog)

    def vectors(self, space: str) -> VectorBackend:
        """The index serving ``space`` for searches: see :meth:`vector_index` (``save=False``)."""
        return self.vector_index(space, save=False)

    def close(self) -> None:
        self._background.close()
        self.catalog.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Only one writer (indexer) per store; readers never need this."""
        path = self.home / "writer.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="ignore").strip() or "unknown"
                raise StoreLockedError(
                    f"another picsift process or task (pid {holder}) is writing to the store "
                    f"at {self.home}; wait for it to finish"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            yield
        finally:
            os.close(fd)

    def vector_index(self, space: str = IMAGE_SPACE, *, save: bool = True) -> VectorIndex:
        """The index of ``space``, cached while the catalog is unchanged.

        When the catalog changed: with ``save`` (the indexer, ``status``), the index is
        brought up to date now and written. Without it (searches), a stale *trained* index
        (IVF kinds, large spaces) keeps answering while one background thread updates it,
        then the new one is swapped in; a flat index (small) is rebuilt now. A search may
        therefore briefly miss the newest images, or meet deleted ones: the dense channels
        drop ids whose rows are gone (``channels.live_hits``). A stale index of another
        model than the space now holds is never served.
        """
        with self._index_lock:
            cached = self._indexes.get(space)
            generation = self.catalog.generation()
            if cached is None and not save:
                cached = self._saved_for_serving(space, generation)
                if cached is not None:
                    self._indexes[space] = cached
            if cached is not None and cached.stamp.generation == generation:
                return cached
            stale_but_usable = (
                not save
                and cached is not None
                and cached.trained
                and self._same_model(space, cached)
            )
            if stale_but_usable and cached is not None:
                self._background.request(space)
                return cached
            index = refresh(
                self.catalog.snapshot,
                self.vectors_dir,
                space,
                cached,
                self.index_options,
                save=save,
            )
            self._indexes[space] = index
            return index

    def _saved_for_serving(self, space: str, generation: int) -> VectorIndex | None:
        """The saved index when it is current, or stale but trained and of the bound model:
        mapped in well under a second however large, so a server starts at once and updates
        it in the background."""
        stamp = read_stamp(self.vectors_dir, space)
        if stamp is None or (stamp.generation != generation and stamp.kind == FLAT):
            return None
        opened = try_open(self.vectors_dir, space, stamp, self.index_options)
        return opened if opened is not None and self._same_model(space, opened) else None

    def _same_model(self, space: str, index: VectorIndex) -> bool:
        """A stale index may serve only while its space holds the same model's vectors."""
        dim = int(self.catalog.meta(f"dim:{space}") or 0)
        return index.stamp.model == self.catalog.space_model(space) and index.stamp.dim == dim

    def _build_in_background(self, space: str) -> None:
        with self._index_lock:
            current = self._indexes.get(space)
        built = refresh(
            self.catalog.snapshot,
            self.vectors_dir,
            space,
            current,
            self.index_options,
            save=True,
            stop=self._background.stopping,
        )
        with self._index_lock:
            cached = self._indexes.get(space)
            if cached is None or built.stamp.generation >= cached.stamp.generation:
                self._indexes[space] = built

    def wait_for_index_builds(self, timeout: float | None = None) -> bool:
        """Until no background index build is queued or running; False on timeout."""
        return self._background.wait(timeout)

    def expected_stamp(self, space: str = IMAGE_SPACE) -> IndexStamp:
        """What an up-to-date index of ``space`` would be stamped with (counts the space)."""
        count = self.catalog.embedding_count(space)
        return IndexStamp(
            generation=self.catalog.generation(),
            model=self.catalog.space_model(space),
            dim=int(self.catalog.meta(f"dim:{space}") or 0),
            count=count,
            kind=kind_for(count, self.index_options),
        )

    def index_in_sync(self, space: str = IMAGE_SPACE) -> bool:
        """Whether the index on disk matches the catalog (else the next open updates it)."""
        saved = read_stamp(self.vectors_dir, space)
        return saved is not None and saved.describes(self.expected_stamp(space))

    def size_bytes(self) -> int:
        return sum(
            p.stat().st_size
            for p in self.home.rglob("*")
            if p.is_file() and "models" not in p.relative_to(self.home).parts[:1]
        )
