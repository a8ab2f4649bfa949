"""The indexer's read-ahead: :mod:`picsift.imaging.ahead` plus what indexing adds in the same
worker threads, each file's people's caption (a sidecar) and its index facets."""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass
from pathlib import Path

from picsift.config import Settings
from picsift.describe.facets.runner import FacetRunner
from picsift.imaging.ahead import FileStat
from picsift.imaging.ahead import Loaded as Read
from picsift.imaging.ahead import load_ahead as read_ahead
from picsift.imaging.decode import DecodedImage
from picsift.imaging.sandbox import ImageDecoder
from picsift.indexer.captions import sidecar_caption
from picsift.indexer.facets import FacetResult, index_facet_names, index_facets


@dataclass(frozen=True)
class IndexExtra:
    user_caption: str | None
    facets: FacetResult | None


Loaded = Read[IndexExtra]


def user_caption_of(item: Loaded) -> str | None:
    return item.extra.user_caption if item.extra is not None else None


def facets_of(item: Loaded) -> FacetResult | None:
    return item.extra.facets if item.extra is not None else None


def load_ahead(
    files: Iterable[FileStat],
    settings: Settings,
    lookahead: int,
    decoder: ImageDecoder,
    facets: FacetRunner,
) -> Generator[Loaded, None, None]:
    """Yield each file read, decoded and given the index facets that run beside decoding
    (computed by ``facets``, the owner's runner), in order."""
    names = index_facet_names(settings)

    def then(file: FileStat, decoded: DecodedImage) -> IndexExtra:
        found = index_facets(decoded.image, names, facets)
        return IndexExtra(sidecar_caption(Path(file.path)), found)

    return read_ahead(
        files,
        max_bytes=settings.max_file_bytes,
        workers=settings.resolved_decode_workers,
        lookahead=lookahead,
        decoder=decoder,
        then=then,
    )
