"""Building a space's index from a source of vectors (a catalog snapshot, or a benchmark's
generator), on disk, and the steps every build and update shares.

A flat index is built in memory (at most ``approximate_above`` vectors, about a second) and
saved when asked. A trained kind is always built on disk, whatever ``save`` says: its stored
vectors are a file by design, and it is served from the mapped files. Every build writes its
files under a new token, then the stamp (``commit``); a failed or cancelled build deletes its
own files (``discard``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

from picsift.store.faiss.index_files import (
    IndexFiles,
    atomic_file,
    new_files,
    open_index,
    read_stamp,
    remove_builds,
    write_faiss,
    write_stamp,
)
from picsift.store.faiss.index_kinds import (
    IndexOptions,
    lists_for,
    new_trained,
    sample_positions,
    train,
)
from picsift.store.faiss.stored_vectors import StoredVectors, write_stored
from picsift.store.faiss.vectors import IndexStamp, VectorIndex


class VectorSource(Protocol):
    """One space's vectors at one moment; ``chunks()`` may be called more than once and
    yields the same (ids ascending, float32 rows) every time."""

    generation: int
    model: str | None
    dim: int
    count: int

    def chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]: ...


class BuildCancelled(Exception):
    """The store is closing: a background build stopped between two chunks."""


# -- flat -------------------------------------------------------------------------------------
def build_flat(
    source: VectorSource, expected: IndexStamp, folder: Path, space: str, *, save: bool
) -> VectorIndex:
    parts = list(source.chunks())
    ids = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    vectors = (
        np.concatenate([p[1] for p in parts]) if parts else np.zeros((0, expected.dim), np.float32)
    )
    built = VectorIndex.build(ids, vectors, replace(expected, count=len(ids)))
    if not save:
        return built
    files = new_files(folder, space, expected.generation)
    previous = read_stamp(folder, space)
    try:
        write_faiss(built.faiss_index, files.faiss)
        stamp = replace(built.stamp, files=files.token)
        write_stamp(folder, space, stamp)
    except BaseException:
        files.faiss.unlink(missing_ok=True)
        raise
    remove_builds(folder, space, files.token, previous.files if previous else None)
    return VectorIndex(built.faiss_index, stamp, files=files)


# -- trained kinds ----------------------------------------------------------------------------
def build_trained(
    source: VectorSource,
    expected: IndexStamp,
    folder: Path,
    space: str,
    options: IndexOptions,
    stop: threading.Event | None = None,
) -> VectorIndex:
    """Stored vectors from the source, lists trained on a fixed-seed sample of them, every
    vector added; files written, stamp last."""
    files = new_files(folder, space, expected.generation)
    previous = read_stamp(folder, space)
    try:
        nlist = lists_for(expected.count)
        sample = Sample(sample_positions(expected.count, nlist), expected.dim)
        chunks = sample.taking(cancellable(source.chunks(), stop))
        stored = write_stored_files(files, chunks, expected)
        index = new_trained(expected.kind, expected.dim, nlist)
        train(index, sample.rows)
        del sample
        for ids, rows in cancellable(stored.chunks(), stop):
            index.add_with_ids(rows, ids)
        del stored
        stamp = replace(expected, nlist=nlist, trained_count=expected.count, files=files.token)
        return commit(index, files, stamp, options, previous)
    except BaseException:
        discard(files)
        raise


class Sample:
    """The training sample, copied from the chunks as they stream past on their way to disk:
    no second read, and no random reads through the mapping (which would map 64 KB around
    each sampled row and inflate the process's memory by gigabytes at millions)."""

    def __init__(self, positions: np.ndarray, dim: int) -> None:
        self._positions = positions
        self.rows = np.empty((len(positions), dim), np.float32)

    def taking(
        self, chunks: Iterable[tuple[np.ndarray, np.ndarray]]
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        start = 0
        for ids, rows in chunks:
            lo, hi = np.searchsorted(self._positions, [start, start + len(ids)])
            self.rows[lo:hi] = rows[self._positions[lo:hi] - start]
            start += len(ids)
            yield ids, rows


def write_stored_files(
    files: IndexFiles, chunks: Iterable[tuple[np.ndarray, np.ndarray]], expected: IndexStamp
) -> StoredVectors:
    """The stored vectors of a build from ``chunks`` (ids ascending), mapped once written."""
    with atomic_file(files.ids) as ids_fh, atomic_file(files.rows) as rows_fh:
        write_stored(ids_fh, rows_fh, chunks, expected.count, expected.dim)
    return StoredVectors.open(files.ids, files.rows, expected.count, expected.dim)


def commit(
    index: faiss.Index,
    files: IndexFiles,
    stamp: IndexStamp,
    options: IndexOptions,
    previous: IndexStamp | None,
) -> VectorIndex:
    """Write the index, switch the space to this build (the stamp), drop the previous build,
    and open this one mapped."""
    write_faiss(index, files.faiss)
    write_stamp(files.folder, files.space, stamp)
    remove_builds(files.folder, files.space, stamp.files, previous.files if previous else None)
    return open_index(files.folder, files.space, stamp, options)


def discard(files: IndexFiles) -> None:
    for path in files.paths(trained=True):
        path.unlink(missing_ok=True)


def check(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise BuildCancelled


def cancellable(
    chunks: Iterable[tuple[np.ndarray, np.ndarray]], stop: threading.Event | None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for chunk in chunks:
        check(stop)
        yield chunk
