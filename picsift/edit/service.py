"""The edit use case: change a library picture by an instruction, keep its structure, measure
both, and add the result to the library as a marked variant linked to its original.

Called by the CLI, the API's job runner and nothing else; it never prints or exits. Every
check that can refuse an edit (instruction, method, maps, image, file) runs before a model
loads, and nothing is written until a candidate is chosen, so a refused edit changes nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PIL import Image

from picsift import __version__
from picsift.config import Settings
from picsift.describe.facets.runner import FacetRunner
from picsift.describe.facets.tools import FacetTools
from picsift.edit import scores as sc
from picsift.edit.request import EditOptions, clean_instruction
from picsift.edit.variants import VariantFiles
from picsift.errors import EditError, ModelUnavailableError, PicsiftError
from picsift.imaging.decode import read_image_file
from picsift.imaging.sandbox import ImageDecoder
from picsift.metadata.exiftool import ExifTool
from picsift.models.edit_base import EditRequest
from picsift.models.presets import EditMethod
from picsift.models.provider import ModelSource
from picsift.store import Store
from picsift.store.records import ImageRow, VariantRecord

Progress = Callable[[int, int], None]  # (units done, units in all)
DEPTH_SIDE = 64  # depth maps are compared at the depth facet's size


@dataclass(frozen=True)
class Candidate:
    seed: int
    scores: sc.Scores
    chosen: bool = False


@dataclass(frozen=True)
class EditResult:
    original_id: int
    instruction: str
    method: str
    seed: int
    strength: float | None
    keep: tuple[str, ...]
    candidates: list[Candidate]
    threshold: float
    variant_id: int | None = None
    variant_path: str | None = None
    reason: str = ""  # why nothing was kept
    notes: list[str] = field(default_factory=list)
    meaningless: bool = False  # random-weight models: the picture and scores mean nothing

    @property
    def chosen(self) -> Candidate | None:
        return next((c for c in self.candidates if c.chosen), None)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the CLI's --json, the API and job results."""
        return {
            "original_id": self.original_id,
            "variant_id": self.variant_id,
            "variant_path": self.variant_path,
            "instruction": self.instruction,
            "method": self.method,
            "seed": self.seed,
            "strength": self.strength,
            "keep": list(self.keep),
            "threshold": self.threshold,
            "candidates": [
                {"seed": c.seed, "chosen": c.chosen, **c.scores.as_dict()} for c in self.candidates
            ],
            "reason": self.reason or None,
            "notes": self.notes,
            "meaningless": self.meaningless,
        }


@dataclass(frozen=True)
class SeriesItem:
    image_id: int
    result: EditResult | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        if self.result is None:
            return {"image_id": self.image_id, "error": self.error}
        return {"image_id": self.image_id, **self.result.as_dict()}


class EditService:
    def __init__(
        self,
        store: Store,
        models: ModelSource,
        settings: Settings,
        decoder: ImageDecoder,
        exiftool: ExifTool | None = None,
        *,
        update_index: bool = True,
    ) -> None:
        """``update_index=False``: leave the vector index to the server's store (as uploads
        do), which updates a large one in the background."""
        self._store = store
        self._models = models
        self._settings = settings
        self._decoder = decoder
        self._exiftool = exiftool or ExifTool()
        self._files = VariantFiles(settings.home / "variants", self._exiftool)
        self._update_index = update_index

    @property
    def folder(self) -> Path:
        return self._files.folder

    def recover(self) -> list[Path]:
        """Remove what interrupted edits left: temporary files, variant files without a link,
        and their catalog rows. Returns the files removed; nothing while another process is
        editing (it, or the next edit, tidies up)."""
        with self._files.exclusive() as alone:
            if not alone:
                return []
            rows = self._store.images.rows_under(str(self._files.folder))
            linked_ids = self._store.edits.variant_ids()
            linked = {path for path, row in rows.items() if row.id in linked_ids}
            removed = self._files.sweep(linked)
            orphans = [row.id for path, row in rows.items() if path not in linked]
            if orphans:
                with self._store.writer_lock():
                    self._store.images.delete(orphans)
        return removed

    def image_for(self, path: Path) -> tuple[int, bool]:
        """The catalog id of the picture at ``path``, indexing it first when the library does
        not hold it yet; (id, whether it was added now)."""
        from picsift.indexer import Indexer
        from picsift.library.service import LibraryService

        where = str(Path(os.path.abspath(path)))
        row = self._store.images.rows_under(where).get(where)
        if row is not None and row.status == "ok":
            return row.id, False
        if not Path(where).is_file():
            raise EditError(f"{path}: no such file (give a file or a catalog id)")
        indexer = Indexer(self._store, self._models, self._settings, decoder=self._decoder)
        report = (
            LibraryService(self._store)
            .index(
                indexer,
                self._models,
                self._settings,
                [Path(where)],
                update_index=self._update_index,
            )
            .report
        )
        row = self._store.images.rows_under(where).get(where)
        if row is None or row.status != "ok":
            reason = report.errors[0][1] if report.errors else "it could not be indexed"
            raise EditError(f"{path}: {reason}")
        return row.id, True

    def category_members(self, category_id: int) -> list[int]:
        """The pictures a series over a category edits: its members, less the variants that
        joined it (a series changes originals, not earlier edits)."""
        from picsift.library.service import LibraryService

        members = LibraryService(self._store).members(
            category_id, 0, self._settings.edit_max_series + 1
        )
        variants = self._store.edits.variant_ids()
        return [i for i in members.ids if i not in variants]

    def links(self, image_id: int) -> tuple[VariantRecord | None, list[VariantRecord]]:
        """What ``image_id`` was made from (if it is a variant), and the variants made from
        it."""
        return self._store.edits.variant(image_id), self._store.edits.variants_of(image_id)

    def check(self, instruction: str, options: EditOptions) -> tuple[str, EditMethod]:
        """The cleaned instruction and the method, or EditError; loads nothing."""
        text = clean_instruction(instruction)
        options.check(self._settings.edit_max_candidates)
        method = self._method(options.method)
        keep = options.keep or ()
        unknown = [k for k in keep if k not in method.controls]
        if unknown:
            holds = ", ".join(method.controls) or "nothing: it keeps structure by itself"
            raise EditError(
                f"method '{method.name}' cannot keep {', '.join(unknown)}; it can keep {holds}"
            )
        return text, method

    def edit(
        self,
        image_id: int,
        instruction: str,
        options: EditOptions,
        progress: Progress | None = None,
    ) -> EditResult:
        text, method = self.check(instruction, options)
        row, image = self._original(image_id)
        self._models.editor(method.name)  # the extra or weights missing: said before any work
        return self._edit(row, image, text, method, options, progress)

    def series(
        self,
        image_ids: Sequence[int],
        instruction: str,
        options: EditOptions,
        progress: Progress | None = None,
    ) -> list[SeriesItem]:
        """One instruction, one seed and the same settings over every picture: one variant
        each. A picture that cannot be edited (its file changed) is reported, the rest go on."""
        text, method = self.check(instruction, options)
        if not image_ids:
            raise EditError("the series is empty: no pictures matched")
        if len(image_ids) > self._settings.edit_max_series:
            raise EditError(
                f"the series has {len(image_ids)} pictures; at most "
                f"{self._settings.edit_max_series} (PICSIFT_EDIT_MAX_SERIES)"
            )
        missing = sorted(set(image_ids) - self._store.images.existing_ids(image_ids))
        if missing:
            raise EditError(f"no image with id {', '.join(map(str, missing[:10]))}")
        self._models.editor(method.name)
        items: list[SeriesItem] = []
        for i, image_id in enumerate(image_ids):
            step = None if progress is None else _scaled(progress, i, len(image_ids))
            try:
                row, image = self._original(image_id)
                result = self._edit(row, image, text, method, options, step)
                items.append(SeriesItem(image_id, result))
            except (EditError, PicsiftError) as exc:
                items.append(SeriesItem(image_id, error=str(exc)))
        return items

    def _method(self, name: str | None) -> EditMethod:
        edits = self._models.preset.edits
        if not edits:
            raise EditError(f"preset '{self._models.preset.name}' has no edit methods")
        chosen = name or next(iter(edits))
        if chosen not in edits:
            raise EditError(f"unknown edit method '{chosen}'; known: {', '.join(edits)}")
        return edits[chosen]

    def _original(self, image_id: int) -> tuple[ImageRow, Image.Image]:
        row = self._store.images.get(image_id)
        if row is None:
            raise EditError(f"no image with id {image_id}")
        if row.status != "ok":
            raise EditError(f"image {image_id} ({row.path}) was not indexed: {row.error}")
        try:
            data, sha = read_image_file(Path(row.path), max_bytes=self._settings.max_file_bytes)
        except PicsiftError as exc:
            raise EditError(f"image {image_id}: {exc}") from None
        if row.sha256 is not None and sha != row.sha256:
            raise EditError(
                f"image {image_id} ({row.path}) changed since it was indexed; run `picsift "
                "index` on its folder first, so the edit starts from what the library knows"
            )
        return row, self._decoder.decode(data, row.path).image

    def _edit(
        self,
        row: ImageRow,
        image: Image.Image,
        text: str,
        method: EditMethod,
        options: EditOptions,
        progress: Progress | None,
    ) -> EditResult:
        editor = self._models.editor(method.name)
        keep = options.keep if options.keep is not None else editor.default_keep
        notes: list[str] = []
        controls = {name: self._control(row, image, name, notes) for name in keep}
        seeds = [options.seed + i for i in range(options.candidates)]
        outputs: list[Image.Image] = []
        for n, seed in enumerate(seeds):
            step = None if progress is None else _scaled(progress, n, len(seeds))
            request = EditRequest(image, text, seed, options.strength, controls)
            outputs.append(editor.edit(request, step))
        scored = self._score(row, image, outputs, text, notes)
        candidates = [Candidate(s, v) for s, v in zip(seeds, scored, strict=True)]
        base = EditResult(
            original_id=row.id,
            instruction=text,
            method=method.name,
            seed=options.seed,
            strength=options.strength or editor.strength,
            keep=tuple(keep),
            candidates=candidates,
            threshold=float(
                method.editor.options.get(
                    "structure_threshold", self._settings.edit_structure_threshold
                )
            ),
            notes=notes,
            meaningless=self._models.preset.meaningless,
        )
        pick = _choose(candidates, base.threshold, options.force)
        if pick is None:
            best = max(c.scores.structure for c in candidates)
            return replace(
                base,
                reason=f"structure {best:.2f} is below the threshold {base.threshold:.2f}, so "
                "nothing was saved; try a lower --strength or another seed, or --force",
            )
        candidates[pick] = replace(candidates[pick], chosen=True)
        return self._save(base, row, method, outputs[pick], candidates[pick])

    def _control(
        self, row: ImageRow, image: Image.Image, name: str, notes: list[str]
    ) -> Image.Image:
        """The stored structure map ``name`` of the original, or the facet of that name run
        now (the registry knows which facet draws which map; nothing here does)."""
        stored = self._store.images.facet_map(row.id, name)
        if stored is None:
            runner = FacetRunner(FacetTools(self._settings, self._models))
            described = runner.per_image(image, [name], caption=row.caption)
            (described,) = runner.batched([described], [image], [name])
            stored = described.maps.get(name)
            if stored is None:
                raise EditError(
                    f"no '{name}' map is stored for image {row.id}, nor can one be made"
                )
            notes.append(f"the {name} map was made now: the {name} facet is not stored for it")
        # through the one bounded decoding path, like every byte read from a store
        return self._decoder.decode(stored, f"the {name} map of image {row.id}").image

    def _score(
        self,
        row: ImageRow,
        image: Image.Image,
        outputs: list[Image.Image],
        text: str,
        notes: list[str],
    ) -> list[sc.Scores]:
        before = sc.structure_edges(image)
        edges = [sc.edge_f_score(before, sc.structure_edges(o.resize(image.size))) for o in outputs]
        depths: list[float | None] = [None] * len(outputs)
        try:
            maps = self._models.depth().estimate([image, *outputs], DEPTH_SIDE)
            depths = [sc.depth_agreement(maps[0], m) for m in maps[1:]]
        except ModelUnavailableError as exc:
            notes.append(f"depth was not compared: {exc}")
        embedder = self._models.embedder()
        pictures = embedder.embed_images([image, *outputs])
        caption = row.user_caption or row.caption or ""
        words = embedder.embed_texts([caption or "a photo", sc.target_text(caption, text)])
        return [
            sc.Scores(
                structure=round(sc.structure_of(e, d), 4),
                effect=round(sc.directional_similarity(pictures[0], p, words[0], words[1]), 4),
                edges=round(e, 4),
                depth=None if d is None else round(d, 4),
            )
            for e, d, p in zip(edges, depths, pictures[1:], strict=True)
        ]

    def _save(
        self,
        base: EditResult,
        row: ImageRow,
        method: EditMethod,
        image: Image.Image,
        pick: Candidate,
    ) -> EditResult:
        from picsift.indexer import Indexer
        from picsift.library.service import LibraryService

        name = Path(row.path).name
        marks = {
            "XMP-dc:Description": f"{base.instruction} (edited with AI from {name})",
            "XMP-dc:Source": name,
            "XMP-xmp:CreatorTool": f"picsift {__version__}, {method.name} ({method.editor.repo})",
        }
        stem = _stem(row.path, method.name, pick.seed)
        with self._files.writing():
            path = self._files.write(image, str(row.id), marks, stem)
            try:
                indexer = Indexer(self._store, self._models, self._settings, decoder=self._decoder)
                LibraryService(self._store).index(
                    indexer, self._models, self._settings, [path], update_index=self._update_index
                )
                added = self._store.images.rows_under(str(path)).get(str(path))
                if added is None or added.status != "ok":
                    raise EditError(f"the variant {path} could not be indexed")
                self._store.edits.add_variant(
                    VariantRecord(
                        image_id=added.id,
                        original_id=row.id,
                        instruction=base.instruction,
                        method=base.method,
                        seed=pick.seed,
                        structure=pick.scores.structure,
                        effect=pick.scores.effect,
                        scores={
                            "chosen": pick.scores.as_dict(),
                            "candidates": [
                                {"seed": c.seed, **c.scores.as_dict()} for c in base.candidates
                            ],
                            "threshold": base.threshold,
                        },
                        settings={
                            "model": method.editor.model_id,
                            "strength": base.strength,
                            "keep": list(base.keep),
                            "meaningless": base.meaningless,
                        },
                    )
                )
            except BaseException:
                self._forget(path)
                raise
        return replace(base, variant_id=added.id, variant_path=str(path))

    def _forget(self, path: Path) -> None:
        """Undo a variant that did not make it into the library: its file and any row."""
        path.unlink(missing_ok=True)
        row = self._store.images.rows_under(str(path)).get(str(path))
        if row is not None:
            try:
                with self._store.writer_lock():
                    self._store.images.delete([row.id])
            except PicsiftError:  # the next edit's recover() removes it
                pass


def _choose(candidates: list[Candidate], threshold: float, force: bool) -> int | None:
    """The best effect among candidates whose structure passes (with ``force``: among all)."""
    pool = [i for i, c in enumerate(candidates) if c.scores.structure >= threshold]
    if not pool and force:
        pool = list(range(len(candidates)))
    return max(pool, key=lambda i: candidates[i].scores.effect) if pool else None


def _stem(path: str, method: str, seed: int) -> str:
    base = re.sub(r"[^\w.-]+", "-", Path(path).stem).strip("._-")[:40] or "image"
    return f"{base}-{method}-s{seed}"


def _scaled(progress: Progress, part: int, parts: int) -> Progress:
    """Progress of one of ``parts`` equal parts, as a share of the whole (in 1000ths)."""

    def report(done: int, total: int) -> None:
        progress(int(1000 * (part + done / max(1, total)) / parts), 1000)

    return report
