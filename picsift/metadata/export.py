"""Write what picsift knows about each picture back into the files, never their pixels.

``xmp``: into an XMP sidecar next to the file (default; the original is only read) or into
the file itself (``embed``: JPEG, PNG, WebP and TIFF), through exiftool, keeping every other
field. ``csv`` and ``jsonl``: one row per picture for a content system's import.

Rules, each tested: a file that changed since it was indexed is refused (its description
would be of another picture); a second run changes nothing; ``dry_run`` reports what would
change and touches nothing; a failure on one file is that file's result, never the end of
the run.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from picsift.describe.service import DescribeService
from picsift.describe.templates import ALT_MAX_CHARS, trim_to
from picsift.errors import PicsiftError
from picsift.metadata.exiftool import ExifTool, MetadataError
from picsift.metadata.xmp import ALL_READ, XmpContent, changes, compact_json
from picsift.prompts.agreement import Agreement
from picsift.prompts.service import NotFoundError
from picsift.resources import data_dir
from picsift.store.filters import Filters
from picsift.store.ports import LibraryStore
from picsift.store.records import ImageRow

Mode = Literal["sidecar", "embed"]
# exiftool writes XMP into these in place; others (GIF, BMP, HEIC) get a sidecar
EMBEDDABLE = frozenset({"JPEG", "MPO", "PNG", "WEBP", "TIFF"})
# darktable and digiKam read photo.jpg.xmp; Lightroom (and digiKam, if set so) photo.xmp
SIDECAR_STYLES = ("darktable", "lightroom")


def exiftool_for_xmp() -> ExifTool:
    """exiftool that knows picsift's namespace."""
    return ExifTool(config=data_dir() / "exiftool" / "picsift.config")


def sidecar_path(image: Path, style: str = "darktable") -> Path:
    if style not in SIDECAR_STYLES:
        raise PicsiftError(f"sidecar style '{style}': use {' or '.join(SIDECAR_STYLES)}")
    return (
        image.with_name(image.name + ".xmp") if style == "darktable" else image.with_suffix(".xmp")
    )


@dataclass(frozen=True)
class ExportOptions:
    mode: Mode = "sidecar"
    style: str = "darktable"
    template: str = "paragraph"
    alt_template: str = "alt"
    keywords_template: str = "tags"  # a comma-separated list: tags, objects, colours, framing
    dry_run: bool = False


@dataclass(frozen=True)
class ExportResult:
    image_id: int
    path: str
    target: str  # the file written (the sidecar or the picture)
    status: str  # written | unchanged | would change | refused | failed
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    reason: str | None = None


@dataclass(frozen=True)
class Row:
    """One picture as ``csv`` / ``jsonl`` export gives it."""

    path: str
    description: str
    alt: str
    tags: list[str]
    category: str | None
    prompt: str | None
    generator: str | None
    agreement: float | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Exporter:
    def __init__(self, store: LibraryStore, describer: DescribeService, exiftool: ExifTool) -> None:
        self._store = store
        self._describer = describer
        self._exiftool = exiftool

    def select(self, paths: Sequence[Path], filters: Filters) -> list[int]:
        """Ids of the indexed pictures at or under ``paths`` (all when none) that pass
        ``filters``; a path that holds no indexed picture is an error naming it."""
        allowed = set(self._store.images.ids_matching(filters).tolist())
        if not paths:
            return sorted(allowed)
        chosen: set[int] = set()
        for path in paths:
            wanted = os.path.abspath(os.path.expanduser(path))  # as the indexer stores it
            found = {r.id for r in self._store.images.rows_under(wanted).values()}
            if not found:
                raise PicsiftError(f"{path}: no indexed picture there (run picsift index)")
            chosen |= found & allowed
        return sorted(chosen)

    def _categories(self) -> dict[int, str]:
        """Image id -> its category's name (leaves; Unsorted has none)."""
        names = {c.id: c.name for c in self._store.categories.all()}
        members = self._store.categories.leaf_members()
        return {i: names[c] for c, ids in members.items() if c in names for i in ids}

    def content(self, row: ImageRow, options: ExportOptions, category: str | None) -> XmpContent:
        facets = self._store.images.facets_of(row.id)
        described = self._describer.describe_stored(row, facets, options.template)
        alt = self._describer.describe_stored(row, facets, options.alt_template).text or ""
        as_json = self._describer.describe_stored(row, facets, "json").text
        listed = self._describer.describe_stored(row, facets, options.keywords_template).text
        words = [w.strip() for w in (listed or "").split(",") if w.strip()]
        keywords = tuple(dict.fromkeys([*words, *([category] if category else [])]))
        return XmpContent(
            description=" ".join((described.text or "").split()),
            alt=trim_to(alt, ALT_MAX_CHARS),
            keywords=keywords,
            caption_model=row.captioner,
            category=category,
            facets=compact_json(as_json) if as_json else None,
            prompt=row.prompt,
            generator=row.generator,
            agreement=self._agreement(row.id),
        )

    def _agreement(self, image_id: int) -> float | None:
        stored = self._store.prompts.agreement(image_id)
        if not stored:
            return None
        try:
            return Agreement.from_json(stored).percentile
        except (ValueError, KeyError, TypeError):
            return None

    def packet(self, image_id: int, options: ExportOptions | None = None) -> bytes:
        """The XMP that ``xmp`` export writes for one picture (picsift's fields only)."""
        options = options or ExportOptions()
        for name in (options.template, options.alt_template, options.keywords_template):
            self._describer.check(name, [])
        row = self._store.images.get(image_id)
        if row is None or row.status != "ok":
            raise NotFoundError(f"no indexed image with id {image_id}")
        content = self.content(row, options, self._categories().get(image_id))
        return self._exiftool.packet(content.tags({}))

    def rows(self, ids: Sequence[int], options: ExportOptions) -> Iterator[Row]:
        """``csv`` / ``jsonl`` rows, from the store alone (files are not read)."""
        for name in (options.template, options.alt_template, options.keywords_template):
            self._describer.check(name, [])
        categories = self._categories()
        found = self._store.images.rows(list(ids))
        for image_id in ids:
            row = found.get(image_id)
            if row is None or row.status != "ok":
                continue
            c = self.content(row, options, categories.get(image_id))
            yield Row(
                row.path,
                c.description,
                c.alt,
                list(c.keywords),
                c.category,
                c.prompt,
                c.generator,
                c.agreement,
            )

    def xmp(self, ids: Sequence[int], options: ExportOptions) -> Iterator[ExportResult]:
        """Write (or with ``dry_run`` compare) each picture's XMP; one result per picture."""
        for name in (options.template, options.alt_template, options.keywords_template):
            self._describer.check(name, [])
        sidecar_path(Path("x"), options.style)  # an unknown style fails before any file
        self._exiftool.require("picsift export xmp")
        categories = self._categories()
        found = self._store.images.rows(list(ids))
        for image_id in ids:
            row = found.get(image_id)
            if row is None or row.status != "ok":
                why = "not in the store" if row is None else f"not indexed ({row.status})"
                yield ExportResult(image_id, "", "", "refused", reason=why)
                continue
            try:
                yield self._one(row, options, categories.get(image_id))
            except (MetadataError, OSError) as exc:
                yield ExportResult(row.id, row.path, row.path, "failed", reason=str(exc))

    def _one(self, row: ImageRow, options: ExportOptions, category: str | None) -> ExportResult:
        image = Path(row.path)
        target = image if options.mode == "embed" else sidecar_path(image, options.style)
        refusal = self._refusal(row, image, options.mode)
        if refusal:
            return ExportResult(row.id, row.path, str(target), "refused", reason=refusal)
        content = self.content(row, options, category)
        current = self._exiftool.read(target, *ALL_READ) if target.exists() else {}
        # a new sidecar starts as a copy of the file's metadata: its keywords come first
        base = current if target.exists() else self._exiftool.read(image, *ALL_READ)
        wanted = content.tags(base)
        diff = changes(wanted, current)
        if not diff:
            return ExportResult(row.id, row.path, str(target), "unchanged")
        if options.dry_run:
            return ExportResult(row.id, row.path, str(target), "would change", diff)
        if options.mode == "embed":
            self._exiftool.write(image, wanted)
            stat = image.stat()
            self._store.images.rewritten(row.id, file_sha256(image), stat.st_size, stat.st_mtime_ns)
        elif target.exists():
            self._exiftool.write(target, wanted)
        else:
            self._new_sidecar(image, target, wanted)
        return ExportResult(row.id, row.path, str(target), "written", diff)

    @staticmethod
    def _refusal(row: ImageRow, image: Path, mode: Mode) -> str | None:
        if mode == "embed" and (row.format or "").upper() not in EMBEDDABLE:
            return f"cannot embed XMP in {row.format} files: use --sidecar"
        try:
            digest = file_sha256(image)
        except FileNotFoundError:
            return "the file is gone: run picsift index to update the library"
        if digest != row.sha256:
            return "the file changed since it was indexed: run picsift index first"
        return None

    def _new_sidecar(self, image: Path, target: Path, wanted: dict[str, Any]) -> None:
        """exiftool creates the sidecar under a temporary name; the rename makes it appear
        whole or not at all."""
        temporary = target.with_name(f".{target.name}.picsift-{os.getpid()}.xmp")
        temporary.unlink(missing_ok=True)
        try:
            self._exiftool.new_sidecar(image, temporary, wanted)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
