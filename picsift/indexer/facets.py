"""Facets computed at indexing time, in the decode workers, and the words they make searchable.

The cheap facets (colours, composition) cost milliseconds and need no model, so every image
gets them; reading text (OCR) is opt-in through ``PICSIFT_INDEX_FACETS``. The JSON is stored
so descriptions can be rendered later without the image, and the derived words (colour names,
framing, text in the image) go into the full-text index the words channel searches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from picsift.config import Settings
from picsift.describe.facets import FACETS, compute_facets
from picsift.describe.model import Description
from picsift.describe.ocr import OcrReader
from picsift.errors import PicsiftError
from picsift.store import Store

MIN_COLOUR_SHARE = 0.1  # colours covering less of the image are not worth a search word


@dataclass(frozen=True)
class FacetResult:
    json: str
    tags: str | None
    ocr_text: str | None


def searchable_words(description: Description) -> str | None:
    words: list[str] = []
    if description.colours is not None:
        words += [c.name for c in description.colours.palette if c.share >= MIN_COLOUR_SHARE]
    if description.composition is not None:
        comp = description.composition
        words += [comp.orientation, comp.framing, comp.blur_label]
    words += list(description.tags)
    unique = list(dict.fromkeys(w for w in words if w))
    return " ".join(unique) or None


def index_facets(
    image: Image.Image, names: Sequence[str], ocr: OcrReader | None = None
) -> FacetResult | None:
    """The configured facets of one image; never raises (a failing facet is recorded)."""
    cheap = [n for n in names if n != "text"]
    if not names:
        return None
    description = compute_facets(image, cheap)
    text = None
    if "text" in names and ocr is not None:
        text = ocr.read(image)
        description = description.model_copy(update={"text": text})
    return FacetResult(description.model_dump_json(), searchable_words(description), text)


def recompute_facets(
    store: Store, settings: Settings, names: Sequence[str]
) -> tuple[int, list[str]]:
    """Recompute facets for every indexed image from its file, without the heavy models
    (OCR only when ``text`` is named). Returns (images updated, files that could not be read).
    """
    from picsift.indexer.pipeline import load_ahead
    from picsift.indexer.scan import FileStat

    unknown = set(names) - {*FACETS, "text"}
    if unknown:
        raise PicsiftError(f"unknown facets {sorted(unknown)}; known: {sorted({*FACETS, 'text'})}")
    rows = store.catalog.analysed_rows()
    wanted = settings.model_copy(update={"index_facets": list(names)})
    ocr = OcrReader() if "text" in names else None
    files = [FileStat(r.path, r.size, r.mtime_ns) for r in rows]
    ids = {r.path: r.id for r in rows}
    done, failed = 0, []
    batch: list[tuple[int, str, str | None, str | None]] = []
    with store.writer_lock():
        for item in load_ahead(files, wanted, 2 * settings.batch_size, ocr):
            if item.facets is None:
                failed.append(f"{item.file.path}: {item.error or 'no facets'}")
                continue
            batch.append(
                (ids[item.file.path], item.facets.json, item.facets.tags, item.facets.ocr_text)
            )
            if len(batch) >= 64:
                store.catalog.set_facets(batch)
                done, batch = done + len(batch), []
        store.catalog.set_facets(batch)
    return done + len(batch), failed
