"""Reading, hashing and decoding files in worker threads, ahead of the model work.

Each thread reads and hashes a file, hands its bytes to the decode sandbox (a worker process
with memory and time limits) and computes the index facets of the small image it gets back.
Waiting on a pipe, hashing and PIL all release the GIL, so a small thread pool keeps
decoding overlapped with inference on the main thread. Results come back in submission order
with a bounded look-ahead, so memory stays flat however large the library.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from picsift.config import Settings
from picsift.describe.ocr import OcrReader
from picsift.errors import ImageError
from picsift.imaging import DecodedImage, read_image_file
from picsift.imaging.sandbox import ImageDecoder
from picsift.indexer.captions import sidecar_caption
from picsift.indexer.facets import FacetResult, index_facets
from picsift.indexer.scan import FileStat


@dataclass(frozen=True)
class Loaded:
    """One file after reading: its hash, and either a decoded image or the reason it failed."""

    file: FileStat
    sha256: str | None
    decoded: DecodedImage | None
    error: str | None
    transient: bool = False
    user_caption: str | None = None
    facets: FacetResult | None = None


def load_one(
    file: FileStat, settings: Settings, decoder: ImageDecoder, ocr: OcrReader | None = None
) -> Loaded:
    sha: str | None = None
    try:
        data, sha = read_image_file(Path(file.path), max_bytes=settings.max_file_bytes)
        decoded = decoder.decode(data, file.path)
        del data
    except ImageError as exc:
        return Loaded(file, sha, None, exc.reason, exc.transient)
    except Exception as exc:  # a decoder bug must not stop the run
        return Loaded(file, sha, None, f"unexpected decoder failure: {type(exc).__name__}: {exc}")
    return Loaded(
        file,
        sha,
        decoded,
        None,
        user_caption=sidecar_caption(Path(file.path)),
        facets=index_facets(decoded.image, settings.index_facets, ocr),
    )


def load_ahead(
    files: Iterable[FileStat],
    settings: Settings,
    lookahead: int,
    decoder: ImageDecoder,
    ocr: OcrReader | None = None,
) -> Generator[Loaded, None, None]:
    """Yield :class:`Loaded` for each file in order, decoding up to ``lookahead`` ahead."""
    workers = settings.resolved_decode_workers
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="picsift-decode") as pool:
        queue: deque[Future[Loaded]] = deque()
        source = iter(files)
        try:
            for file in source:
                queue.append(pool.submit(load_one, file, settings, decoder, ocr))
                if len(queue) >= lookahead:
                    yield queue.popleft().result()
            while queue:
                yield queue.popleft().result()
        finally:
            for fut in queue:
                fut.cancel()
