"""Which FAISS index a space gets, by size, and the parameters each kind is built with.

* ``flat``: exact search, every vector in the index; up to ``approximate_above`` vectors
  (flat search at 50k costs ~9 ms on 2 cores, and needs no training).
* ``ivf``: IVF-flat. The vectors are split into ``nlist`` lists by k-means trained on a sample;
  a query scans the ``nprobe`` nearest lists with exact distances. Chosen over HNSW by
  measurement (bench/bench_scale.py, 1M): it builds 14x faster (38 s vs 529 s on 2 busy
  cores), supports ``remove_ids`` (deletions need no rebuild) and maps its lists; HNSW is
  faster per query on a quiet machine (0.4 vs 2.6 ms p50), which no search here needs.
* ``ivfpq``: above ``compress_above``, IVF with 4-bit PQ codes (fast scan, dim/8 bytes per
  vector) whose short list is re-ranked exactly from the stored float32 vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import faiss
import numpy as np

if TYPE_CHECKING:
    from picsift.config import Settings

FLAT, IVF, IVFPQ = "flat", "ivf", "ivfpq"
KINDS = (FLAT, IVF, IVFPQ)
TRAINED = (IVF, IVFPQ)

DEFAULT_APPROXIMATE_ABOVE = 50_000
DEFAULT_COMPRESS_ABOVE = 1_000_000  # IVF-flat's lists hold 2 KB per 512-d vector; PQ 64 B
DEFAULT_RERANK = 3_000  # recall@10 at 5M: 0.79 with 1,000, 1.0 with 3,000 (scale.md)
MIN_TRAINED = 1_000  # k-means and 16-centroid PQ need a few points per centroid
SAMPLE_PER_LIST = 64  # training points per IVF list (faiss asks for at least 39)
SEED = 1234
KMEANS_ITERATIONS = 20


@dataclass(frozen=True)
class IndexOptions:
    """Index choices for one store (:meth:`of` builds them from the settings)."""

    approximate_above: int = DEFAULT_APPROXIMATE_ABOVE
    compress_above: int = DEFAULT_COMPRESS_ABOVE
    nprobe: int = 0  # IVF lists scanned per query; 0: max(16, nlist // 64)
    rerank: int = DEFAULT_RERANK  # compressed kind: candidates re-ranked exactly (>= 10 k)
    exact_filter_below: int = 10_000  # filters matching fewer ids are searched exactly
    retrain_growth: float = 2.0  # retrain once the space outgrows this x its trained size
    pause_seconds: float = 5.0  # between two background builds of one space
    retry_seconds: float = 60.0  # after a failed background build

    @classmethod
    def of(cls, settings: Settings) -> IndexOptions:
        return cls(
            approximate_above=settings.index_approximate_above,
            compress_above=settings.index_compress_above,
            nprobe=settings.index_nprobe,
            rerank=settings.index_rerank,
            retrain_growth=settings.index_retrain_growth,
        )


def kind_for(count: int, options: IndexOptions) -> str:
    """Exact while it is fast enough; IVF once large; compressed codes once very large."""
    if count <= options.approximate_above or count < MIN_TRAINED:
        return FLAT
    return IVFPQ if count > options.compress_above else IVF


def lists_for(count: int) -> int:
    """IVF lists: the power of two nearest sqrt(count) (1,024 at 1M, 2,048 at 5M), and never
    fewer than 39 training points per list."""
    target = 2 ** round(np.log2(max(count, 1)) / 2)
    return int(max(1, min(target, count // 39)))


def pq_codes(dim: int) -> int:
    """4-bit sub-quantizers: dim/4 of them (64 bytes per 512-d vector), or the largest
    divisor of ``dim`` below that."""
    return max(m for m in range(1, max(1, dim // 4) + 1) if dim % m == 0)


def nprobe_for(nlist: int, options: IndexOptions) -> int:
    return min(nlist, options.nprobe or max(16, nlist // 64))


def shortlist_for(k: int, count: int, options: IndexOptions) -> int:
    return min(count, max(options.rerank, 10 * k))


def needs_retraining(count: int, trained_count: int, options: IndexOptions) -> bool:
    """The lists were sized and placed for ``trained_count`` vectors: retrain (a full build)
    once the space has grown past ``retrain_growth`` times that; smaller changes are added
    and removed in place."""
    return count > options.retrain_growth * max(trained_count, 1)


def new_trained(kind: str, dim: int, nlist: int) -> faiss.Index:
    """An untrained index of a trained kind, ids kept by the IVF itself (no IDMap)."""
    spec = f"IVF{nlist},Flat" if kind == IVF else f"IVF{nlist},PQ{pq_codes(dim)}x4fs"
    index: Any = faiss.index_factory(dim, spec, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = SEED
    index.cp.niter = KMEANS_ITERATIONS
    if kind == IVFPQ:
        index.pq.cp.seed = SEED
    return index


def train(index: Any, sample: np.ndarray) -> None:
    """The lists with every thread (k-means over the sample: large, BLAS-bound steps), then
    the 4-bit codebooks on one: 128 k-means of 16 centroids are too small to share, and on a
    busy machine their thread barriers made training 10x slower (1.3 s vs 15 s measured)."""
    clustering = faiss.Clustering(index.d, index.nlist, index.cp)
    clustering.train(sample, index.quantizer)
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # this thread only
    try:
        index.train(sample)  # the quantizer is trained: only the codes are
    finally:
        faiss.omp_set_num_threads(threads)


def sample_positions(count: int, nlist: int) -> np.ndarray:
    """Sorted row positions of the training sample: fixed seed, so a rebuild is repeatable."""
    size = min(count, SAMPLE_PER_LIST * nlist)
    return np.sort(np.random.default_rng(SEED).choice(count, size, replace=False))
