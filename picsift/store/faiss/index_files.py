"""The on-disk format of vector indexes (format 2).

Per space, in ``HOME/vectors``:

* ``<space>.json``: the stamp (``IndexStamp``), the commit point of a build, written last;
* ``<space>.<token>.faiss``: the FAISS index of the build named by the stamp's ``files``;
* ``<space>.<token>.ids.npy`` and ``<space>.<token>.rows.npy``: the exact vectors of a
  trained kind (``stored_vectors.py``).

A build's files never change once written: a new build gets a new token, its files are each
written atomically (temp, fsync, rename), then the stamp switches to them, then the previous
build's files are deleted. A process still serving the previous build keeps its mappings (an
unlinked file lives while mapped); one that reads a stamp whose files just went away sees a
damaged build, which is rebuilt. A stamp of another format (format 1 had no ``format``
field and one ``<space>.faiss``), an unknown kind or a field it does not know is never read:
the space is rebuilt from the catalog.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import BinaryIO

import faiss

from picsift.store.faiss.index_kinds import KINDS, TRAINED, IndexOptions
from picsift.store.faiss.stored_vectors import StoredVectors, fsync_file
from picsift.store.faiss.vectors import FORMAT_VERSION, IndexStamp, VectorIndex

ORPHAN_SECONDS = 3600  # files of no stamp (a build killed before its stamp) older than this go


@dataclass(frozen=True)
class IndexFiles:
    folder: Path
    space: str
    token: str

    @property
    def faiss(self) -> Path:
        return self.folder / f"{self.space}.{self.token}.faiss"

    @property
    def ids(self) -> Path:
        return self.folder / f"{self.space}.{self.token}.ids.npy"

    @property
    def rows(self) -> Path:
        return self.folder / f"{self.space}.{self.token}.rows.npy"

    def paths(self, trained: bool) -> list[Path]:
        return [self.faiss, self.ids, self.rows] if trained else [self.faiss]


def new_files(folder: Path, space: str, generation: int) -> IndexFiles:
    return IndexFiles(folder, space, f"g{generation}-{secrets.token_hex(4)}")


def files_of(folder: Path, stamp: IndexStamp, space: str) -> IndexFiles:
    return IndexFiles(folder, space, stamp.files)


def stamp_path(folder: Path, space: str) -> Path:
    return folder / f"{space}.json"


def read_stamp(folder: Path, space: str) -> IndexStamp | None:
    """The stamp of ``space``, or None when missing, unreadable or not format 2."""
    try:
        data = json.loads(stamp_path(folder, space).read_text())
    except (OSError, ValueError):
        return None
    known = {f.name for f in fields(IndexStamp)}
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT_VERSION
        or set(data) - known
        or data.get("kind") not in KINDS
        or not data.get("files")
    ):
        return None
    try:
        return IndexStamp(**data)
    except TypeError:
        return None


def write_stamp(folder: Path, space: str, stamp: IndexStamp) -> None:
    with atomic_file(stamp_path(folder, space)) as fh:
        fh.write(json.dumps(asdict(stamp)).encode())


def open_index(folder: Path, space: str, stamp: IndexStamp, options: IndexOptions) -> VectorIndex:
    """The build named by ``stamp``, memory-mapped (``IO_FLAG_MMAP_IFC``: FAISS 1.15 maps
    flat codes, HNSW storage and IVF lists in place, so opening reads headers only).

    Raises RuntimeError, OSError or ValueError when a file is missing, damaged or does not
    match the stamp.
    """
    files = files_of(folder, stamp, space)
    index = faiss.read_index(str(files.faiss), faiss.IO_FLAG_MMAP_IFC)
    if int(index.ntotal) != stamp.count:
        raise ValueError(f"{files.faiss.name} holds {index.ntotal} vectors, not {stamp.count}")
    stored = None
    if stamp.kind in TRAINED:
        if faiss.extract_index_ivf(index).nlist != stamp.nlist:
            raise ValueError(f"{files.faiss.name} does not have {stamp.nlist} lists")
        stored = StoredVectors.open(files.ids, files.rows, stamp.count, stamp.dim)
    return VectorIndex(index, stamp, stored, options, files)


def try_open(
    folder: Path, space: str, stamp: IndexStamp, options: IndexOptions
) -> VectorIndex | None:
    try:
        return open_index(folder, space, stamp, options)
    except (OSError, RuntimeError, ValueError):
        return None  # damaged or half-written: rebuilt from the catalog


def write_faiss(index: faiss.Index, path: Path) -> None:
    """Atomically, like every index file: temp file, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        faiss.write_index(index, tmp)
        fsync_file(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A file handle whose content replaces ``path`` only if the block completes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def remove_builds(folder: Path, space: str, keep: str, previous: str | None) -> None:
    """Delete the previous build's files (and format 1's ``<space>.faiss``) at once, and
    files of other builds once they are an hour old: a concurrent writer's build that is not
    stamped yet is younger than that."""
    now = time.time()
    prefix = f"{space}."
    for path in folder.glob(f"{space}.*"):
        rest = path.name[len(prefix) :]
        if path.name == f"{space}.json" or rest.split(".", 1)[0] == keep:
            continue
        token = rest.split(".", 1)[0]
        stale = token == previous or rest == "faiss"
        try:
            if stale or now - path.stat().st_mtime > ORPHAN_SECONDS:
                path.unlink()
        except OSError:
            pass  # another process removed it, or the store is read-only: harmless
