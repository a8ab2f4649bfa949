"""Updating a trained index in place: no retraining, one pass over the source.

The pass compares the source (ids ascending) with the stored vectors of the index it updates:
ids new or whose vector changed are added, ids gone or changed removed. While the source
matches the start of the stored file row for row, nothing is written; at the first
difference, that matching prefix is copied from the old file and the source is written from
there on. So a change elsewhere in the catalog costs a read and a new stamp, and the common
case (images added at the end, a few deleted) writes the files once, never reads the source
twice, and adds only the new vectors to a private writable copy of the index.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np

from picsift.store.faiss.index_build import (
    VectorSource,
    cancellable,
    check,
    commit,
    discard,
    write_stored_files,
)
from picsift.store.faiss.index_files import new_files, read_stamp, write_stamp
from picsift.store.faiss.index_kinds import IndexOptions
from picsift.store.faiss.stored_vectors import READ_CHUNK, StoredVectors
from picsift.store.faiss.vectors import IndexStamp, VectorIndex

Chunk = tuple[np.ndarray, np.ndarray]


class Diff:
    """A running comparison of a source, chunk by chunk, with stored vectors."""

    def __init__(self, stored: StoredVectors) -> None:
        self._stored = stored
        self._seen = np.zeros(len(stored), bool)
        self._added: list[np.ndarray] = []
        self._changed: list[np.ndarray] = []
        self.clean = 0  # the source so far equals stored rows [0, clean)
        self.dirty = False

    def take(self, ids: np.ndarray, rows: np.ndarray) -> None:
        stored = self._stored
        pos, found = stored.positions(ids)
        same = np.zeros(len(ids), bool)
        if found.any():
            at = pos[found]  # ascending: usually one slab of the stored file, read plainly
            if int(at[-1]) + 1 - int(at[0]) <= 2 * len(at):
                old = stored.read_range(int(at[0]), int(at[-1]) + 1)[at - at[0]]
            else:  # many stored rows in between are gone: read just these
                old = stored.gather(at)
            same[found] = (old == rows[found]).all(axis=1)
            self._seen[at] = True
        self._added.append(ids[~same])
        self._changed.append(ids[found & ~same])
        in_step = len(ids) > 0 and bool(same.all()) and int(pos[0]) == self.clean
        if not self.dirty and in_step and int(pos[-1]) == self.clean + len(ids) - 1:
            self.clean += len(ids)
        elif len(ids):
            self.dirty = True

    @property
    def unchanged(self) -> bool:
        return not self.dirty and self.clean == len(self._stored)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids to add, ids to remove), ascending: new or changed, and gone or changed."""
        gone = np.asarray(self._stored.ids)[~self._seen]
        removed = np.sort(np.concatenate([gone, *self._changed]))
        added = np.concatenate(self._added) if self._added else np.zeros(0, np.int64)
        return added, removed


def update_trained(
    source: VectorSource,
    base: VectorIndex,
    expected: IndexStamp,
    folder: Path,
    space: str,
    options: IndexOptions,
    stop: threading.Event | None = None,
) -> VectorIndex:
    """``base`` brought to the source, keeping its lists (see the module docstring)."""
    assert base.stored is not None and base.files is not None
    old = base.stored
    diff = Diff(old)
    chunks = cancellable(source.chunks(), stop)
    first: Chunk | None = None
    for ids, rows in chunks:
        diff.take(ids, rows)
        if diff.dirty:
            first = (ids, rows)
            break
    if diff.unchanged:
        # Another space (or nothing vector-related) changed: same files, newer stamp.
        stamp = replace(base.stamp, generation=expected.generation)
        if base.files.folder == folder and all(p.exists() for p in base.files.paths(True)):
            write_stamp(folder, space, stamp)
        return base.restamped(stamp)

    def new_rows() -> Iterator[Chunk]:
        yield from old.chunks(until=diff.clean)  # the matching prefix, from the old file
        if first is not None:
            yield first
        for ids, rows in chunks:
            diff.take(ids, rows)
            yield ids, rows

    files = new_files(folder, space, expected.generation)
    previous = read_stamp(folder, space)
    try:
        stored = write_stored_files(files, new_rows(), expected)
        added, removed = diff.result()
        writable = faiss.read_index(str(base.files.faiss))  # never add to a mapped index
        if len(removed):
            writable.remove_ids(faiss.IDSelectorBatch(removed))
        for start in range(0, len(added), READ_CHUNK):
            chunk = added[start : start + READ_CHUNK]
            writable.add_with_ids(stored.gather(stored.positions(chunk)[0]), chunk)
            check(stop)
        if int(writable.ntotal) != expected.count:
            raise ValueError(f"update left {writable.ntotal} vectors, not {expected.count}")
        return commit(
            writable,
            files,
            replace(
                expected,
                nlist=base.stamp.nlist,
                trained_count=base.stamp.trained_count,
                files=files.token,
            ),
            options,
            previous,
        )
    except BaseException:
        discard(files)
        raise
