"""Reading, hashing and decoding files in worker threads, ahead of whoever consumes them.

Each thread reads and hashes a file, hands its bytes to the decoder (the decode sandbox: a
worker process with memory and time limits) and, if asked, runs ``then`` on the small image
it gets back (the indexer computes its facets there). Waiting on a pipe, hashing and PIL all
release the GIL, so a small thread pool keeps decoding overlapped with model work on the
consuming thread. Results come back in submission order with a bounded look-ahead, so memory
stays flat however large the library.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from picsift.errors import ImageError
from picsift.imaging.decode import DecodedImage, read_image_file
from picsift.imaging.sandbox import ImageDecoder

T = TypeVar("T")


@dataclass(frozen=True)
class FileStat:
    """A file as a scan saw it: what the indexer compares to tell changed files apart."""

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str | Path) -> FileStat:
        """Stat ``path`` now; a file that cannot be stat'ed gets zeros (reading it will then
        fail with the reason)."""
        try:
            st = os.stat(path)
        except OSError:
            return cls(str(path), 0, 0)
        return cls(str(path), st.st_size, st.st_mtime_ns)


@dataclass(frozen=True)
class Loaded(Generic[T]):
    """One file after reading: its hash, and either a decoded image or the reason it failed;
    ``extra`` is what ``then`` made of the image."""

    file: FileStat
    sha256: str | None
    decoded: DecodedImage | None
    error: str | None
    transient: bool = False
    extra: T | None = None


def load_one(
    file: FileStat,
    max_bytes: int,
    decoder: ImageDecoder,
    then: Callable[[FileStat, DecodedImage], T] | None = None,
) -> Loaded[T]:
    sha: str | None = None
    try:
        data, sha = read_image_file(Path(file.path), max_bytes=max_bytes)
        decoded = decoder.decode(data, file.path)
        del data
    except ImageError as exc:
        return Loaded(file, sha, None, exc.reason, exc.transient)
    except Exception as exc:  # a decoder bug must not stop the run
        return Loaded(file, sha, None, f"unexpected decoder failure: {type(exc).__name__}: {exc}")
    extra = then(file, decoded) if then is not None else None
    return Loaded(file, sha, decoded, None, extra=extra)


def load_ahead(
    files: Iterable[FileStat],
    *,
    max_bytes: int,
    workers: int,
    lookahead: int,
    decoder: ImageDecoder,
    then: Callable[[FileStat, DecodedImage], T] | None = None,
) -> Generator[Loaded[T], None, None]:
    """Yield :class:`Loaded` for each file in order, decoding up to ``lookahead`` ahead."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="picsift-decode") as pool:
        queue: deque[Future[Loaded[T]]] = deque()
        source = iter(files)
        try:
            for file in source:
                queue.append(pool.submit(load_one, file, max_bytes, decoder, then))
                if len(queue) >= lookahead:
                    yield queue.popleft().result()
            while queue:
                yield queue.popleft().result()
        finally:
            for fut in queue:
                fut.cancel()
