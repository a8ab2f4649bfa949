"""Bringing a space's index up to date: the choice between opening, updating and building.

``refresh_from`` decides, in this order:

1. the saved build describes the source (same generation, model, dim, count, kind): open it;
2. the kind is ``flat``: build it from the source (``index_build.build_flat``);
3. a trained index of the same kind, model and dim is at hand (in memory or on disk) and the
   space has not outgrown ``retrain_growth`` x the size it was trained at: update it in
   place, keeping its lists (``index_update.update_trained``);
4. otherwise train anew on a sample and add everything (``index_build.build_trained``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from picsift.errors import StoreError
from picsift.store.faiss.index_build import VectorSource, build_flat, build_trained
from picsift.store.faiss.index_files import read_stamp, try_open
from picsift.store.faiss.index_kinds import FLAT, IndexOptions, kind_for, needs_retraining
from picsift.store.faiss.index_update import update_trained
from picsift.store.faiss.vectors import IndexStamp, VectorIndex

log = logging.getLogger("picsift.store")


def expected_stamp(source: VectorSource, options: IndexOptions) -> IndexStamp:
    kind = kind_for(source.count, options)
    return IndexStamp(source.generation, source.model, source.dim, source.count, kind)


def refresh(
    snapshot: Callable[[str], AbstractContextManager[VectorSource]],
    folder: Path,
    space: str,
    current: VectorIndex | None,
    options: IndexOptions,
    *,
    save: bool,
    stop: threading.Event | None = None,
) -> VectorIndex:
    """The index of ``space`` as of now, from ``snapshot(space)`` (the catalog's vectors of
    that space, read in one transaction)."""
    with snapshot(space) as source:
        return refresh_from(source, folder, space, current, options, save=save, stop=stop)


def refresh_from(
    source: VectorSource,
    folder: Path,
    space: str,
    current: VectorIndex | None,
    options: IndexOptions,
    *,
    save: bool,
    stop: threading.Event | None = None,
) -> VectorIndex:
    expected = expected_stamp(source, options)
    saved = read_stamp(folder, space)
    if saved is not None and saved.describes(expected):
        opened = try_open(folder, space, saved, options)
        if opened is not None:
            return opened
    with _writing(folder):
        if expected.kind == FLAT:
            return build_flat(source, expected, folder, space, save=save)
        base = _updatable(current, expected, options)
        if base is None and saved is not None:
            base = _updatable(try_open(folder, space, saved, options), expected, options)
        if base is not None:
            try:
                return update_trained(source, base, expected, folder, space, options, stop)
            except (RuntimeError, ValueError) as exc:  # e.g. its files went away meanwhile
                log.warning("cannot update the %s index in place (%s); rebuilding", space, exc)
        return build_trained(source, expected, folder, space, options, stop)


def _updatable(
    index: VectorIndex | None, expected: IndexStamp, options: IndexOptions
) -> VectorIndex | None:
    if index is None or index.files is None or index.stored is None:
        return None
    stamp = index.stamp
    same = (stamp.kind, stamp.model, stamp.dim) == (expected.kind, expected.model, expected.dim)
    if not same or needs_retraining(expected.count, stamp.trained_count, options):
        return None
    return index


@contextmanager
def _writing(folder: Path) -> Iterator[None]:
    """A failed write (disk full, read-only store) as a StoreError saying what to do."""
    try:
        yield
    except OSError as exc:
        raise StoreError(
            f"cannot write the vector index in {folder}: {exc.strerror or exc}; free some disk "
            "space or make the store writable (the index is derived from the catalog and is "
            "rebuilt then)"
        ) from exc
