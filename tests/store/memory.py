"""An in-memory implementation of the store ports: the proof that the search and category
services need the ports and nothing else.

Images, words and vectors are copied from a SQLite store (indexing is the one writer, and it
writes SQLite), and copied again whenever that store changes, so a test can keep indexing
through the real code; categories live here only. The words index is a plain IDF-weighted
match (enough for a test double: it is not the product's ranking).
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from picsift.describe.facets import FACETS, Description
from picsift.errors import PicsiftError
from picsift.store import SPACES, Store
from picsift.store.filters import Filters, iso_date
from picsift.store.ports import LibraryStore, PromptRepository
from picsift.store.records import (
    UNSORTED,
    Category,
    CategoryRecord,
    EditJobRecord,
    ImageRow,
    Membership,
    VariantRecord,
)
from picsift.wordsplit import split_cjk

_WORD = re.compile(r"\w+")


def _tokens(text: str | None) -> list[str]:
    return _WORD.findall((split_cjk(text) or "").lower())  # as the SQLite index splits


@dataclass(frozen=True)
class MemoryStamp:
    generation: int
    model: str | None
    dim: int
    count: int


class MemoryVectors:
    """Exact search over one space's vectors (brute force)."""

    def __init__(self, ids: np.ndarray, vectors: np.ndarray, stamp: MemoryStamp) -> None:
        self._ids = ids
        self._vectors = vectors
        self._row = {int(i): n for n, i in enumerate(ids)}
        self.stamp = stamp

    @property
    def count(self) -> int:
        return len(self._ids)

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        queries = np.atleast_2d(queries).astype(np.float32)
        ids, vectors = self._ids, self._vectors
        if allowed is not None:
            keep = np.isin(ids, allowed)
            ids, vectors = ids[keep], vectors[keep]
        scores = np.full((len(queries), k), -np.inf, np.float32)
        found = np.full((len(queries), k), -1, np.int64)
        if len(ids):
            sims = queries @ vectors.T
            for q, row in enumerate(sims):
                order = np.lexsort((ids, -row))[:k]
                scores[q, : len(order)] = row[order]
                found[q, : len(order)] = ids[order]
        return scores, found

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        try:
            return self._vectors[[self._row[int(i)] for i in ids]].reshape(len(ids), -1)
        except KeyError as exc:
            raise RuntimeError(f"no vector for id {exc}") from None


class MemoryImages:
    """Rows, facets, vectors and the texts the words channel reads."""

    def __init__(self, owner: MemoryStore) -> None:
        self._owner = owner
        self.rows_by_id: dict[int, ImageRow] = {}
        self.facets: dict[int, str | None] = {}
        self.meta_values: dict[str, str] = {}
        self.spaces: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.models: dict[str, str | None] = {}
        self.runtimes: dict[str, dict[str, int]] = {}
        self.maps: dict[tuple[int, str], bytes] = {}
        self.version = 0

    def fill_from(self, store: Store) -> None:
        source = store.images
        self.version = source.generation()
        self.rows_by_id = {r.id: r for r in source.rows_under("/").values()}
        self.facets = {i: source.facets_of(i) for i in self.rows_by_id}
        self.maps = {
            (i, name): png
            for i in self.rows_by_id
            for name in source.map_names(i)
            if (png := source.facet_map(i, name)) is not None
        }
        for space in SPACES:
            self.spaces[space] = source.embeddings(space)
            self.models[space] = source.space_model(space)
            self.runtimes[space] = source.runtime_counts(space)
        keys = ("preset", *(f"{p}:{s}" for s in SPACES for p in ("model", "dim")))
        self.meta_values = {k: v for k in keys if (v := source.meta(k)) is not None}

    def _ok(self) -> list[ImageRow]:
        return sorted((r for r in self.rows_by_id.values() if r.status == "ok"), key=lambda r: r.id)

    def generation(self) -> int:
        return self.version

    def get(self, image_id: int) -> ImageRow | None:
        return self.rows_by_id.get(image_id)

    def rewritten(self, image_id: int, sha256: str, size: int, mtime_ns: int) -> None:
        row = self.rows_by_id[image_id]
        self.rows_by_id[image_id] = replace(row, sha256=sha256, size=size, mtime_ns=mtime_ns)

    def rows(self, ids: Sequence[int]) -> dict[int, ImageRow]:
        return {i: self.rows_by_id[i] for i in ids if i in self.rows_by_id}

    def rows_under(self, root: str) -> dict[str, ImageRow]:
        prefix = root.rstrip("/") + "/"
        return {
            r.path: r
            for r in self.rows_by_id.values()
            if r.path == root or r.path.startswith(prefix)
        }

    def analysed_rows(self) -> list[ImageRow]:
        return self._ok()

    def existing_ids(self, ids: Sequence[int]) -> set[int]:
        return {i for i in ids if i in self.rows_by_id}

    def ids_matching(self, filters: Filters) -> np.ndarray:
        filters.check()
        out = [r.id for r in self._ok() if self._passes(r, filters)]
        return np.asarray(out, dtype=np.int64)

    def _passes(self, row: ImageRow, f: Filters) -> bool:
        if f.folders and not any(row.path.startswith(p) for p in f.folder_prefixes()):
            return False
        if f.categories and not self._owner.memory_categories.holds(row.id, f.categories):
            return False
        if f.tags and not set(f.wanted_tags()) & set(self.tag_labels([row.id]).get(row.id, [])):
            return False
        if not self._structure_passes(row.id, f):
            return False
        if f.variants in ("hide", "only"):
            edited = row.id in self._owner.memory_edits.variant_ids()
            if edited != (f.variants == "only"):
                return False
        if f.generated is not None and row.ai_generated != f.generated:
            return False
        name = (row.generator or "").lower()
        if f.generators and not any(g in name for g in f.wanted_generators()):
            return False
        if f.formats and row.format not in f.wanted_formats():
            return False
        when = row.taken_at or datetime.fromtimestamp(row.mtime_ns / 1e9, UTC).strftime(
            "%Y-%m-%dT%H:%M:%S"
        )
        if f.after and when < iso_date(f.after, "after"):
            return False
        if f.before and when >= iso_date(f.before, "before"):
            return False
        checks = (
            (row.width, f.min_width, 1),
            (row.height, f.min_height, 1),
            (row.size, f.min_bytes, 1),
            (row.size, f.max_bytes, -1),
        )
        return all(
            limit is None or (value or 0) * sign >= limit * sign for value, limit, sign in checks
        )

    def _structure_passes(self, image_id: int, f: Filters) -> bool:
        span = f.people_range()
        if span is None and not f.regions and not f.shots:
            return True
        stored = self.facets.get(image_id)
        facets = json.loads(stored) if stored else {}
        if span is not None:
            count = (facets.get("people") or {}).get("count")
            if count is None or not span[0] <= count <= span[1]:
                return False
        if f.regions:
            found = {r["label"] for r in (facets.get("regions") or {}).get("regions", [])}
            if not found & set(f.wanted_regions()):
                return False
        return not f.shots or (facets.get("depth") or {}).get("shot") in f.wanted_shots()

    def counts(self) -> dict[str, int]:
        out = {"ok": 0, "error": 0, "pending": 0}
        for row in self.rows_by_id.values():
            out[row.status] = out.get(row.status, 0) + 1
        return out

    def facets_of(self, image_id: int) -> str | None:
        return self.facets.get(image_id)

    def description(self, image_id: int) -> Description:  # type: ignore[valid-type]
        stored = self.facets.get(image_id)
        return Description.model_validate_json(stored) if stored else Description()

    def captions(self, ids: Sequence[int]) -> dict[int, str]:
        return {i: self.rows_by_id[i].caption or "" for i in ids if i in self.rows_by_id}

    def facet_map(self, image_id: int, name: str) -> bytes | None:
        return self.maps.get((image_id, name))

    def map_names(self, image_id: int) -> list[str]:
        return sorted(n for i, n in self.maps if i == image_id)

    def tag_labels(self, ids: Sequence[int]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for i in ids:
            stored = self.facets.get(i)
            tags = json.loads(stored).get("tags") if stored else None
            if tags:
                out[i] = list(tags)
        return out

    def meta(self, key: str) -> str | None:
        return self.meta_values.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self.meta_values[key] = value

    def space_model(self, space: str) -> str | None:
        return self.models.get(space)

    def embedding_count(self, space: str) -> int:
        return len(self.spaces.get(space, (np.zeros(0),))[0])

    def runtime_counts(self, space: str) -> dict[str, int]:
        return dict(self.runtimes.get(space, {}))

    def embeddings(self, space: str) -> tuple[np.ndarray, np.ndarray]:
        ids, vectors = self.spaces.get(space, (np.zeros(0, np.int64), np.zeros((0, 0))))
        return ids.copy(), vectors.copy()

    def delete(self, ids: Sequence[int]) -> int:
        gone = [i for i in ids if self.rows_by_id.pop(i, None) is not None]
        for space, (have, vectors) in self.spaces.items():
            keep = ~np.isin(have, gone)
            self.spaces[space] = (have[keep], vectors[keep])
        self.version += 1
        return len(gone)


class MemoryWords:
    """Any of the words, every phrase, none of the negatives; scored by summed IDF."""

    def __init__(self, images: MemoryImages) -> None:
        self._images = images

    def _texts(self, image_id: int, sources: Sequence[str]) -> list[str]:
        row = self._images.rows_by_id[image_id]
        out = []
        if "model" in sources:
            labels, read = FACETS.words(self._images.description(image_id))
            path = " ".join(_tokens(os.path.splitext(row.path)[0].replace("/", " ")))
            out += [row.caption or "", labels or "", read or "", path]
        if "user" in sources:
            out.append(row.user_caption or "")
        if "prompt" in sources:
            out.append(row.prompt or "")
        return out

    def _words(self, image_id: int, sources: Sequence[str]) -> list[str]:
        return [w for text in self._texts(image_id, sources) for w in _tokens(text)]

    def search_words(
        self,
        words: Sequence[str],
        negatives: Sequence[str],
        sources: Sequence[str],
        filters: Filters,
        k: int,
        phrases: Sequence[str] = (),
        prompt_weight: float = 1.0,
    ) -> list[tuple[int, float]]:
        allowed = self._images.ids_matching(filters)
        total = max(1, self.analysed_count())
        wanted = [w.lower() for w in words]
        scored = []
        for image_id in allowed.tolist():
            found = self._words(image_id, sources)
            if set(n.lower() for n in negatives) & set(self._words(image_id, ("model", "user"))):
                continue
            joined = " " + " ".join(found) + " "
            if any(" " + " ".join(_tokens(p)) + " " not in joined for p in phrases):
                continue
            hit = set(wanted) & set(found)
            if not hit and not phrases:
                continue
            score = len(phrases) + sum(
                math.log(1 + total / (1 + self.document_frequency(w))) for w in hit
            )
            scored.append((image_id, score))
        scored.sort(key=lambda item: (-item[1], item[0]))
        return scored[:k]

    def document_frequency(self, word: str) -> int:
        word = word.lower()
        return sum(
            word in self._words(r.id, ("model", "user")) for r in self._images.analysed_rows()
        )

    def ids_containing(self, word: str, ids: Sequence[int], sources: Sequence[str]) -> set[int]:
        return {i for i in ids if i in self._images.rows_by_id and word in self._words(i, sources)}

    def analysed_count(self) -> int:
        return self._images.counts()["ok"]

    def _captions(self, sources: Sequence[str]) -> list[tuple[int, str]]:
        return [
            (r.id, text)
            for r in self._images.analysed_rows()
            for source, text in (("model", r.caption), ("user", r.user_caption))
            if source in sources and text and text.strip()
        ]

    def caption_sample(self, sources: Sequence[str], n: int) -> list[str]:
        ranked = sorted(self._captions(sources), key=lambda c: ((c[0] * 2654435761) % 2**32, c[1]))
        return [text for _, text in ranked[:n]]

    def mean_words(self, sources: Sequence[str]) -> float:
        texts = [text for _, text in self._captions(sources)]
        lengths = [len(text.strip().split(" ")) for text in texts]  # as SQLite counts them
        return sum(lengths) / len(lengths) if lengths else 0.0


class MemoryCategories:
    def __init__(self, owner: MemoryStore) -> None:
        self._owner = owner
        self._records: dict[int, CategoryRecord] = {}
        self._user_names: dict[int, str | None] = {}
        self._members: dict[int, Membership] = {}
        self._sizes: dict[int, int] = {}
        self._runs: list[dict[str, object]] = []
        self._highest = 0

    def _category(self, cid: int) -> Category:
        r = self._records[cid]
        user = self._user_names.get(cid)
        return Category(
            r.id,
            user or r.name,
            r.name,
            user,
            list(r.keywords),
            r.confidence,
            self._sizes.get(cid, r.size),
            r.is_parent,
            r.parent_id,
            r.space,
            list(r.representatives),
        )

    def holds(self, image_id: int, wanted: Sequence[int]) -> bool:
        m = self._members.get(image_id)
        if m is None:
            return False
        if m.category_id is None:
            return UNSORTED in wanted
        parent = self._records[m.category_id].parent_id if m.category_id in self._records else None
        return m.category_id in wanted or (parent is not None and parent in wanted)

    def all(self) -> list[Category]:
        return sorted((self._category(c) for c in self._records), key=lambda c: (-c.size, c.id))

    def get(self, category_id: int) -> Category | None:
        return self._category(category_id) if category_id in self._records else None

    def unsorted_count(self) -> int:
        return sum(m.category_id is None for m in self._members.values())

    def leaf_members(self) -> dict[int, set[int]]:
        out: dict[int, set[int]] = {}
        for m in self._members.values():
            if m.category_id in self._records and not self._records[m.category_id].is_parent:
                out.setdefault(m.category_id, set()).add(m.image_id)
        return out

    def parent_members(self) -> dict[int, set[int]]:
        out: dict[int, set[int]] = {}
        for m in self._members.values():
            record = self._records.get(m.category_id) if m.category_id is not None else None
            if record is not None and record.parent_id is not None:
                out.setdefault(record.parent_id, set()).add(m.image_id)
        return out

    def next_id(self) -> int:
        return self._highest + 1

    def leaf_centroids(self) -> tuple[list[int], np.ndarray, np.ndarray]:
        leaves = [
            r
            for _, r in sorted(self._records.items())
            if not r.is_parent and r.centroid is not None
        ]
        if not leaves:
            return [], np.zeros((0, 0), np.float32), np.zeros(0, np.float32)
        cents = np.stack([np.asarray(r.centroid, np.float32) for r in leaves])
        limits = np.asarray(
            [1.0 if r.join_threshold is None else r.join_threshold for r in leaves], np.float32
        )
        return [r.id for r in leaves], cents, limits

    def unassigned(self) -> list[int]:
        return [r.id for r in self._owner.images.analysed_rows() if r.id not in self._members]

    def member_ids(self, category_id: int, offset: int, limit: int) -> tuple[list[int], int]:
        ok = {r.id for r in self._owner.images.analysed_rows()}
        chosen = [
            m
            for m in self._members.values()
            if m.image_id in ok
            and (
                m.category_id is None
                if category_id == UNSORTED
                else m.category_id is not None and self.holds(m.image_id, [category_id])
            )
        ]
        chosen.sort(key=lambda m: (-m.probability, m.image_id))
        return [m.image_id for m in chosen[offset : offset + limit]], len(chosen)

    def suggestions(self, ids: Sequence[int]) -> dict[int, tuple[int, float]]:
        out = {}
        for i in ids:
            m = self._members.get(i)
            if m and m.category_id is None and m.suggested_id is not None:
                out[i] = (m.suggested_id, float(m.suggested_similarity or 0.0))
        return out

    def projection(self) -> list[tuple[int, int | None, float, float]]:
        return [
            (m.image_id, m.category_id, float(m.x), float(m.y or 0.0))
            for m in self._members.values()
            if m.x is not None
        ]

    def replace_all(
        self,
        records: Sequence[CategoryRecord],
        memberships: Sequence[Membership],
        params: dict[str, object],
        report: dict[str, object],
    ) -> None:
        keep = {r.id for r in records}
        self._user_names = {c: n for c, n in self._user_names.items() if c in keep}
        self._records = {r.id: r for r in records}
        self._sizes = {r.id: r.size for r in records}
        self._highest = max([self._highest, *keep])
        self._members = {m.image_id: m for m in memberships}
        space = records[0].space if records else ""
        self._runs.append({"space": space, "params": params, "report": report})

    def add_members(self, memberships: Sequence[Membership]) -> None:
        if not memberships:
            return
        self._members |= {m.image_id: m for m in memberships}
        for cid, record in self._records.items():
            if not record.is_parent:
                self._sizes[cid] = sum(m.category_id == cid for m in self._members.values())
        for cid, record in self._records.items():
            if record.is_parent:
                children = [c for c, r in self._records.items() if r.parent_id == cid]
                self._sizes[cid] = sum(self._sizes.get(c, 0) for c in children)

    def rename(self, category_id: int, name: str | None) -> Category:
        cleaned = " ".join((name or "").split()) or None
        if cleaned is not None and len(cleaned) > 200:
            raise PicsiftError("a category name can be at most 200 characters")
        if category_id not in self._records:
            raise PicsiftError(f"no category with id {category_id}")
        self._user_names[category_id] = cleaned
        return self._category(category_id)

    def last_run(self) -> dict[str, object] | None:
        return dict(self._runs[-1]) if self._runs else None


class MemoryEdits:
    """Variants as the SQLite source holds them (indexing and edits write there); edit jobs
    in a dict."""

    def __init__(self, source: Store) -> None:
        self._source = source
        self._jobs: dict[str, EditJobRecord] = {}

    def add_variant(self, record: VariantRecord) -> None:
        self._source.edits.add_variant(record)

    def variant(self, image_id: int) -> VariantRecord | None:
        return self._source.edits.variant(image_id)

    def variants_of(self, original_id: int) -> list[VariantRecord]:
        return self._source.edits.variants_of(original_id)

    def variant_count(self) -> int:
        return len(self.variant_ids())

    def variant_ids(self) -> set[int]:
        return self._source.edits.variant_ids()

    def save_job(self, job: EditJobRecord) -> None:
        self._jobs[job.id] = job

    def job(self, job_id: str) -> EditJobRecord | None:
        return self._jobs.get(job_id)

    def interrupt_unfinished(self) -> int:
        unfinished = [j for j in self._jobs.values() if j.status in ("queued", "running")]
        for job in unfinished:
            self._jobs[job.id] = replace(job, status="interrupted")
        return len(unfinished)


class MemoryStore:
    """The ports over memory, mirroring the images of a SQLite ``source``."""

    def __init__(self, source: Store) -> None:
        self._source = source
        self._images = MemoryImages(self)
        self.memory_categories = MemoryCategories(self)
        self.memory_edits = MemoryEdits(source)
        self._words = MemoryWords(self._images)
        self._lock = threading.Lock()
        self._sync()

    def _sync(self) -> None:
        """Copy again what changed: rows and vectors bump the generation; facets (recomputed in
        place) do not, so they are read again every time (the test libraries are small)."""
        source = self._source.images
        if source.generation() != self._images.version or not self._images.rows_by_id:
            self._images.fill_from(self._source)
        else:
            self._images.facets = {i: source.facets_of(i) for i in self._images.rows_by_id}

    @property
    def home(self) -> Path:
        return self._source.home

    @property
    def source(self) -> Store:
        """The SQLite store it mirrors (indexing writes there)."""
        return self._source

    @property
    def images(self) -> MemoryImages:
        self._sync()
        return self._images

    @property
    def words(self) -> MemoryWords:
        self._sync()
        return self._words

    @property
    def categories(self) -> MemoryCategories:
        self._sync()
        return self.memory_categories

    @property
    def edits(self) -> MemoryEdits:
        return self.memory_edits

    @property
    def prompts(self) -> PromptRepository:
        """The source store's: indexing writes prompts and agreement, as it writes rows."""
        return self._source.prompts

    def vectors(self, space: str) -> MemoryVectors:
        images = self.images
        ids, vectors = images.embeddings(space)
        dim = int(images.meta(f"dim:{space}") or (vectors.shape[1] if vectors.ndim == 2 else 0))
        stamp = MemoryStamp(images.generation(), images.space_model(space), dim, len(ids))
        return MemoryVectors(ids, vectors.reshape(len(ids), dim) if len(ids) else vectors, stamp)

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        with self._lock:
            yield


def _conforms(store: MemoryStore) -> LibraryStore:
    """Type-checks that the memory store follows the port (mypy runs on this line)."""
    return store
