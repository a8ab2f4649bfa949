"""``picsift eval retrieval``: Recall@K and MRR for every channel alone and for the fusion.

Queries are JSONL lines ``{"query": "...", "relevant": ["<file>", ...]}`` with files relative
to the indexed folder (``root``); an optional ``"kind"`` groups the results (e.g. paraphrase
vs exact-token queries) and an optional ``"lang"`` (the query's language) splits them
again. The store must already hold the images (index with ``--captions``
to search people's captions).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from picsift.errors import PicsiftError
from picsift.eval.files import resolve_files
from picsift.eval.metrics import first_relevant_rank, mean_reciprocal_rank, recall_at
from picsift.search import QueryError, SearchOptions, SearchService
from picsift.store import Store

KS = (1, 2, 3, 5, 10, 20, 50)
DEPTH = 100  # ranks beyond this count as not found (MRR contribution 0)
CHUNK = 200  # queries whose texts are encoded together (within the query cache's default 256)


@dataclass(frozen=True)
class EvalQuery:
    text: str
    relevant: tuple[str, ...]
    kind: str = "all"
    lang: str = "und"  # the query's language, when the file says (ISO 639-1)


@dataclass
class Scores:
    name: str
    weights: dict[str, float]
    queries: int
    recall: dict[int, float]
    mrr: float
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    # queries the search refused, counted as misses: (query text, reason)
    failed: list[tuple[str, str]] = field(default_factory=list)
    # queries whose channel weights the search adapted (picsift.search.adapt)
    adapted: int = 0
    by_lang: dict[str, dict[str, float]] = field(default_factory=dict)


def load_queries(path: Path) -> list[EvalQuery]:
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PicsiftError(f"cannot read queries file {path}: {exc}") from None
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            query, relevant = item["query"], item["relevant"]
            if not isinstance(query, str) or not isinstance(relevant, list) or not relevant:
                raise TypeError("'query' must be text and 'relevant' a non-empty list")
        except (ValueError, KeyError, TypeError) as exc:
            raise PicsiftError(
                f'{path}:{number}: expected {{"query": ..., "relevant": [...]}} ({exc})'
            ) from None
        kind, lang = str(item.get("kind", "all")), str(item.get("lang", "und"))
        out.append(EvalQuery(query, tuple(map(str, relevant)), kind, lang))
    if not out:
        raise PicsiftError(f"{path}: no queries")
    return out


def _score(
    name: str,
    weights: dict[str, float],
    service: SearchService,
    queries: list[EvalQuery],
    relevant: list[set[int]],
    base: SearchOptions,
) -> Scores:
    ranks: list[int | None] = []
    failed: list[tuple[str, str]] = []
    adapted = 0
    opts = SearchOptions(
        **{**base.__dict__, "weights": weights, "limit": DEPTH, "duplicates": False}
    )
    for n, (q, rel) in enumerate(zip(queries, relevant, strict=True)):
        if n % CHUNK == 0:  # encode the next chunk's texts in batches, then search one by one
            service.prepare([x.text for x in queries[n : n + CHUNK]], opts)
        try:
            page = service.search(q.text, opts)
        except QueryError as exc:  # one bad query is a miss with its reason, not the end
            failed.append((q.text, str(exc)))
            ranks.append(None)
            continue
        ranks.append(first_relevant_rank([h.id for h in page.hits], rel))
        notes = (page.query or {}).get("notes") or []
        adapted += any(str(n).startswith("words") for n in notes)  # a weight changed
    return Scores(
        name,
        weights,
        len(queries),
        {k: recall_at(ranks, k) for k in KS},
        mean_reciprocal_rank(ranks),
        _grouped(ranks, [q.kind for q in queries]),
        failed,
        adapted,
        _grouped(ranks, [q.lang for q in queries]),
    )


def _grouped(ranks: list[int | None], labels: list[str]) -> dict[str, dict[str, float]]:
    """Recall@K, MRR and the count per label (query kind, or language)."""
    out: dict[str, dict[str, float]] = {}
    for label in sorted(set(labels)):
        sub = [r for r, x in zip(ranks, labels, strict=True) if x == label]
        out[label] = {f"R@{k}": recall_at(sub, k) for k in KS} | {
            "MRR": mean_reciprocal_rank(sub),
            "n": float(len(sub)),
        }
    return out


def evaluate(
    service: SearchService,
    store: Store,
    queries: list[EvalQuery],
    *,
    channels: Sequence[str],
    fused_weights: dict[str, float],
    root: Path | None = None,
    sources: tuple[str, ...] = ("model", "user"),
    cutoff: float = 0.0,
) -> list[Scores]:
    """Each channel alone, then the fusion of ``channels`` with ``fused_weights``."""
    relevant = [set(ids) for ids in resolve_files(store, [q.relevant for q in queries], root)]
    base = SearchOptions(sources=sources, cutoff=cutoff)
    results = [_score(c, {c: 1.0}, service, queries, relevant, base) for c in channels]
    weights = {c: fused_weights.get(c, 0.0) for c in channels}
    results.append(_score("fused", weights, service, queries, relevant, base))
    return results


def to_json(results: list[Scores], models: dict[str, Any]) -> dict[str, Any]:
    return {"models": models, "results": [asdict(r) for r in results]}
