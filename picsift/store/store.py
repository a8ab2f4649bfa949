"""One directory holds a library: the catalog, derived vector indexes and a writer lock."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from picsift.errors import StoreError, StoreLockedError
from picsift.store.catalog import Catalog
from picsift.store.vectors import (
    DEFAULT_APPROXIMATE_ABOVE,
    VectorIndex,
    current_stamp,
    load_or_rebuild,
    read_stamp,
)

IMAGE_SPACE = "image"  # CLIP image embeddings
CAPTION_SPACE = "caption"  # sentence embeddings of the model's captions
USER_CAPTION_SPACE = "user_caption"  # sentence embeddings of people's own captions
SPACES = (IMAGE_SPACE, CAPTION_SPACE, USER_CAPTION_SPACE)


class Store:
    def __init__(self, home: Path, *, approximate_above: int = DEFAULT_APPROXIMATE_ABOVE) -> None:
        self.home = home
        self.approximate_above = approximate_above
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store directory {home}: {exc}") from exc
        self.catalog = Catalog(home / "catalog.db")
        self.vectors_dir = home / "vectors"
        self._indexes: dict[str, VectorIndex] = {}
        self._index_lock = threading.Lock()

    def close(self) -> None:
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
        """The current index of ``space``: cached while the catalog is unchanged, else reloaded
        from its file or rebuilt from the catalog."""
        with self._index_lock:
            cached = self._indexes.get(space)
            # Every change to a space's vectors bumps the generation: while it is unchanged
            # the cached index is current, and the full stamp (a count) need not be read.
            if cached is not None and cached.stamp.generation == self.catalog.generation():
                return cached
            expected = current_stamp(self.catalog, space, self.approximate_above)
            if cached is not None and cached.stamp == expected:
                return cached
            index = load_or_rebuild(
                self.catalog,
                self.vectors_dir,
                space,
                save=save,
                approximate_above=self.approximate_above,
            )
            self._indexes[space] = index
            return index

    def index_in_sync(self, space: str = IMAGE_SPACE) -> bool:
        """Whether the FAISS file on disk matches the catalog (else the next open rebuilds)."""
        expected = current_stamp(self.catalog, space, self.approximate_above)
        return read_stamp(self.vectors_dir, space) == expected

    def size_bytes(self) -> int:
        return sum(
            p.stat().st_size
            for p in self.home.rglob("*")
            if p.is_file() and "models" not in p.relative_to(self.home).parts[:1]
        )
