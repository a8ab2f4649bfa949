"""Hybrid search: parse the query, run each channel under the filters, fuse, cut, page.

Channels whose weight is zero never run, so a words-only search loads no model at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from picsift.config import Settings
from picsift.errors import PicsiftError
from picsift.imaging import read_image_file
from picsift.imaging.sandbox import DecodeSandbox, ImageDecoder
from picsift.models.base import TextEmbedder, l2_normalize
from picsift.models.provider import ModelSource
from picsift.search import channels as ch
from picsift.search.adapt import Adapted, adapt_weights
from picsift.search.cache import TextVectorCache
from picsift.search.fusion import ChannelHits, Fused, fuse
from picsift.search.language import LanguageDetector
from picsift.search.query import Query, QueryError, Term, parse_query
from picsift.store import CAPTION_SPACE, IMAGE_SPACE, USER_CAPTION_SPACE
from picsift.store.binding import check_compatible
from picsift.store.filters import Filters
from picsift.store.ports import LibraryStore

MAX_DEPTH = 10_000  # offset + limit: deeper pages are refused, not silently truncated
PREPARE_BATCH = 64  # query texts per forward pass when preparing many
LANGUAGE_SAMPLE = 200  # captions read to tell which languages a library's captions are in


@dataclass(frozen=True)
class SearchOptions:
    limit: int = 20
    offset: int = 0
    weights: dict[str, float] | None = None  # None: the configured defaults
    cutoff: float | None = None
    filters: Filters = field(default_factory=Filters)
    allow_paths: bool = True  # image paths inside the query text (CLI yes, HTTP no)
    sources: tuple[str, ...] = ch.SOURCES  # captions the text channels read: model, user
    duplicates: bool = True  # flag near-duplicate hits (an evaluation needs no flags)


@dataclass(frozen=True)
class Hit:
    id: int
    path: str
    score: float
    caption: str
    user_caption: str | None
    channels: dict[str, dict[str, float]]  # name -> {"rank": r, "score": s}
    duplicate_of: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    total: int
    offset: int
    limit: int
    weights: dict[str, float]
    query: dict[str, Any] | None = None  # how the query text was read (Query.reading)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SearchService:
    def __init__(
        self,
        store: LibraryStore,
        models: ModelSource,
        settings: Settings,
        decoder: ImageDecoder | None = None,
        languages: LanguageDetector | None = None,
    ) -> None:
        """``decoder`` decodes example images given by path (its own sandbox if None);
        ``languages`` tells a query's language (one is made if None; it loads on first use)."""
        self._store = store
        self._models = models
        self._settings = settings
        self._decoder = decoder or DecodeSandbox(settings)
        self._text_cache = TextVectorCache(settings.query_cache_size)
        self._languages = languages or LanguageDetector()
        # (sources, catalog generation) -> the languages the captions are in
        self._caption_languages: dict[tuple[tuple[str, ...], int], frozenset[str]] = {}

    # -- public entry points -------------------------------------------------------------------
    def warm(self) -> None:
        """Load what searching needs besides the models (the language classifier)."""
        self._languages.warm()

    def search(
        self,
        query: str | None,
        options: SearchOptions | None = None,
        examples: Sequence[Image.Image] = (),
    ) -> SearchPage:
        """Text query (arithmetic allowed) plus optional example images (weight 1 each)."""
        options = options or SearchOptions()
        parsed = parse_query(query) if query else Query(())
        if not parsed.terms and not examples:
            raise QueryError("give a query or an example image")
        return self._run(parsed, list(examples), options)

    def similar(self, image_id: int, options: SearchOptions | None = None) -> SearchPage:
        """More like an indexed image; the image itself is left out."""
        if self._store.images.get(image_id) is None:
            raise PicsiftError(f"no image with id {image_id}")
        options = options or SearchOptions()
        wider = SearchOptions(**{**options.__dict__, "limit": options.limit + 1})
        page = self._run(Query((Term("id", str(image_id)),)), [], wider)
        hits = [h for h in page.hits if h.id != image_id][: options.limit]
        return SearchPage(
            hits, max(0, page.total - 1), page.offset, options.limit, page.weights, page.query
        )

    def prepare(self, queries: Sequence[str], options: SearchOptions | None = None) -> int:
        """Embed the text of many queries in batches, so that searching them one by one next
        finds their vectors in the query cache (an evaluation runs thousands of queries; one
        at a time, encoding is most of its time). Returns how many texts were embedded; up to
        the cache's size are kept, so prepare a chunk, then search it."""
        weights = self._weights(options or SearchOptions())
        texts: list[str] = []
        for text in queries:
            try:
                texts += [t.value for t in parse_query(text).texts]
            except QueryError:
                continue  # searching it will say why
        unique = list(dict.fromkeys(texts))
        if not unique or not self._settings.query_cache_size:
            return 0
        models: list[TextEmbedder] = []
        if weights.get("clip", 0) > 0:
            models.append(self._models.embedder())
        if weights.get("caption", 0) > 0:
            models.append(self._models.text_embedder())
        for model in models:
            for start in range(0, len(unique), PREPARE_BATCH):
                self._text_cache.embed(model, unique[start : start + PREPARE_BATCH])
        return len(unique) if models else 0

    # -- the pipeline --------------------------------------------------------------------------
    def _weights(self, options: SearchOptions) -> dict[str, float]:
        weights = dict(self._settings.search_weights)
        if options.weights is not None:
            unknown = set(options.weights) - set(ch.CHANNELS)
            if unknown:
                raise QueryError(f"unknown channels {sorted(unknown)}; known: {ch.CHANNELS}")
            weights = {c: float(options.weights.get(c, 0.0)) for c in ch.CHANNELS}
        if any(w < 0 for w in weights.values()) or not any(w > 0 for w in weights.values()):
            raise QueryError("channel weights must be >= 0 with at least one above 0")
        return weights

    def _run(self, query: Query, examples: list[Image.Image], options: SearchOptions) -> SearchPage:
        if options.limit < 1 or options.offset < 0 or options.offset + options.limit > MAX_DEPTH:
            raise QueryError(f"limit must be >= 1, offset >= 0, offset + limit <= {MAX_DEPTH}")
        self._check_model()
        weights = self._weights(options)
        if not options.sources or set(options.sources) - set(ch.SOURCES):
            raise QueryError(f"caption sources must be among {ch.SOURCES}")
        adapted = self._adapt(weights, query, options.sources)
        weights = adapted.weights
        filters = self._variants_default(options.filters)
        allowed = self._store.images.ids_matching(filters) if filters.active else None
        depth = min(MAX_DEPTH, 3 * (options.offset + options.limit) + 50)
        results: list[ChannelHits] = []
        if weights.get("clip", 0) > 0:
            vector = self._clip_vector(query, examples, options.allow_paths)
            if vector is not None:
                results.append(ch.clip(self._store, vector, allowed, depth))
        if weights.get("caption", 0) > 0:
            vector = self._caption_vector(query)
            if vector is not None:
                results.append(
                    ch.caption(
                        self._store,
                        vector,
                        allowed,
                        depth,
                        options.sources,
                        self._settings.prompt_caption_weight,
                    )
                )
        if weights.get("words", 0) > 0 and query.positive_text:
            results.append(
                ch.words(
                    self._store,
                    query.positive_text,
                    query.negative_text,
                    filters,
                    depth,
                    options.sources,
                    self._settings.words_coverage_power,
                    query.phrases,
                    self._settings.prompt_weight,
                )
            )
        cutoff = self._settings.search_cutoff if options.cutoff is None else options.cutoff
        fused = fuse(
            results,
            weights,
            method=self._settings.search_fusion,
            k=self._settings.rrf_k,
            cutoff=cutoff,
        )
        page = fused[options.offset : options.offset + options.limit]
        hits = self._hits(page, options.duplicates)
        reading = {**query.reading(), "notes": list(adapted.notes)} if query.terms else None
        return SearchPage(hits, len(fused), options.offset, options.limit, weights, reading)

    def _variants_default(self, filters: Filters) -> Filters:
        """Edited pictures stay out of results unless asked for (``variants``); a library
        without any pays nothing for it."""
        if filters.variants is None and self._store.edits.variant_count():
            return replace(filters, variants="hide")
        return filters

    def _adapt(self, weights: dict[str, float], query: Query, sources: tuple[str, ...]) -> Adapted:
        """This query's weights (see :mod:`picsift.search.adapt`), and a hint when the query's
        language is one the preset's text models do not read."""
        if not query.positive_text:
            return Adapted(weights)
        language = self._languages.detect(query.positive_text)
        hint: tuple[str, ...] = ()
        preset = self._models.preset
        if language.known and language.language != "en" and not preset.multilingual:
            hint = (
                f"the query reads as {language.language}; the text models of preset "
                f"'{preset.name}' read English only (`--models multilingual` reads it)",
            )
        if weights.get("words", 0) <= 0:
            return Adapted(weights, hint)
        languages = self._library_languages(sources)
        if language.by == "script" and language.language not in languages:
            # a word in a script of its own cannot match captions in another by accident: if
            # any caption holds one, some captions are in that language (the sample may have
            # missed a few among many)
            words = ch.content_words(query.positive_text)
            if any(self._store.words.document_frequency(w) for w in words):
                languages = languages | {language.language}
        adapted = adapt_weights(
            weights,
            query,
            self._store.words.mean_words(sources),
            self._settings.words_length_ramp,
            language,
            languages,
        )
        return Adapted(adapted.weights, adapted.notes + hint)

    def _library_languages(self, sources: tuple[str, ...]) -> frozenset[str]:
        """The captioner's language for model captions (it writes in one), and the languages
        of a sample of people's captions; once per catalog generation."""
        key = (tuple(sorted(sources)), self._store.images.generation())
        if key not in self._caption_languages:
            found: set[str] = set()
            words = self._store.words
            if "model" in sources and words.mean_words(("model",)) > 0:
                found.add(self._models.preset.caption_language)
            if "user" in sources:
                sample = words.caption_sample(("user",), LANGUAGE_SAMPLE)
                found |= self._languages.languages_of(sample)
            self._caption_languages = {key: frozenset(found)}
        return self._caption_languages[key]

    def _check_model(self) -> None:
        preset = self._models.preset
        check_compatible(self._store, preset.name, preset.embedder.model_id)

    def load_example(self, path: Path) -> Image.Image:
        """Decode an example image given by a local path (CLI)."""
        return self._load(path)

    def _load(self, path: Path) -> Image.Image:
        data, _ = read_image_file(path, max_bytes=self._settings.max_file_bytes)
        return self._decoder.decode(data, path).image

    def _stored(self, space: str, ids: list[int]) -> np.ndarray:
        index = self._store.vectors(space)
        known = [i for i in ids if index.count and self._store.images.get(i) is not None]
        try:
            return index.vectors(np.asarray(known, dtype=np.int64))
        except RuntimeError:
            return np.zeros((0, index.stamp.dim), np.float32)

    def _clip_vector(
        self, query: Query, examples: list[Image.Image], allow_paths: bool
    ) -> np.ndarray | None:
        parts: list[np.ndarray] = []
        weights: list[float] = []
        texts = [t for t in query.terms if t.kind == "text"]
        images = [t for t in query.terms if t.kind == "image"]
        ids = [t for t in query.terms if t.kind == "id"]
        if images and not allow_paths:
            raise QueryError("image paths are not accepted here; upload the image instead")
        embedder = self._models.embedder() if texts or images or examples else None
        if texts and embedder is not None:
            parts.extend(self._text_cache.embed(embedder, [t.value for t in texts]))
            weights += [t.weight for t in texts]
        if (images or examples) and embedder is not None:
            pictures = [self._load(Path(t.value).expanduser()) for t in images] + examples
            parts.extend(embedder.embed_images(pictures))
            weights += [t.weight for t in images] + [1.0] * len(examples)
        for term in ids:
            stored = self._stored(IMAGE_SPACE, [int(term.value)])
            if len(stored) == 0:
                raise QueryError(f"no indexed image with id {term.value}")
            parts.append(stored[0])
            weights.append(term.weight)
        return _combine(parts, weights)

    def _caption_vector(self, query: Query) -> np.ndarray | None:
        parts: list[np.ndarray] = []
        weights: list[float] = []
        texts = query.texts
        if texts:
            text_model = self._models.text_embedder()
            parts.extend(self._text_cache.embed(text_model, [t.value for t in texts]))
            weights += [t.weight for t in texts]
        for term in (t for t in query.terms if t.kind == "id"):
            for space in (CAPTION_SPACE, USER_CAPTION_SPACE):
                stored = self._stored(space, [int(term.value)])
                if len(stored):
                    parts.append(stored[0])
                    weights.append(term.weight)
        return _combine(parts, weights)

    def _hits(self, page: list[Fused], flag_duplicates: bool = True) -> list[Hit]:
        rows = self._store.images.rows([f.id for f in page])
        listed = [f.id for f in page if f.id in rows]
        duplicates = self._duplicates(listed) if flag_duplicates else {}
        return [
            Hit(
                id=f.id,
                path=row.path,
                score=round(f.score, 6),
                caption=row.caption or "",
                user_caption=row.user_caption,
                channels={n: _rounded(why) for n, why in f.channels.items()},
                duplicate_of=duplicates.get(f.id),
            )
            for f in page
            if (row := rows.get(f.id)) is not None
        ]

    def _duplicates(self, ids: list[int]) -> dict[int, int]:
        """Hit id -> the earlier (better-ranked) hit it nearly duplicates, by CLIP cosine."""
        if len(ids) < 2:
            return {}
        try:
            vectors = self._store.vectors(IMAGE_SPACE).vectors(np.asarray(ids))
        except RuntimeError:
            return {}
        sims = vectors @ vectors.T
        out: dict[int, int] = {}
        for j in range(1, len(ids)):
            earlier = np.nonzero(sims[j, :j] >= self._settings.duplicate_threshold)[0]
            if len(earlier):
                out[ids[j]] = out.get(ids[int(earlier[0])], ids[int(earlier[0])])
        return out


def _combine(parts: list[np.ndarray], weights: list[float]) -> np.ndarray | None:
    """Weighted sum of unit vectors, renormalised; None when there is nothing to combine."""
    if not parts:
        return None
    total = np.sum([w * np.asarray(p, np.float32) for p, w in zip(parts, weights, strict=True)], 0)
    if not np.any(total):
        raise QueryError("the query's terms cancel out")
    return l2_normalize(total[None, :])


def _rounded(why: dict[str, float]) -> dict[str, float]:
    """A channel's explanation as shown: the rank as is, scores to 4 places, strength to 3."""
    out = dict(why)
    if "score" in out:
        out["score"] = round(out["score"], 4)
    if "strength" in out:
        out["strength"] = round(out["strength"], 3)
    return out
