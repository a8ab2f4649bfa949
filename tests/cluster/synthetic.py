"""Synthetic embeddings with known structure: the ground truth the clustering tests check."""

from __future__ import annotations

import numpy as np

DIM = 64


def unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float64)
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def directions(rng: np.random.Generator, k: int, dim: int = DIM) -> np.ndarray:
    return unit(rng.standard_normal((k, dim)))


def around(
    rng: np.random.Generator, centre: np.ndarray, n: int, spread: float = 0.12
) -> np.ndarray:
    """Unit points scattered around ``centre``: cosine to it about 0.72 at spread 0.12 in 64-d."""
    return unit(centre + rng.standard_normal((n, len(centre))) * spread)


def at_cosine(rng: np.random.Generator, centre: np.ndarray, n: int, cosine: float) -> np.ndarray:
    """Unit points at exactly ``cosine`` to ``centre`` (in random other directions)."""
    other = rng.standard_normal((n, len(centre)))
    other -= np.outer(other @ centre, centre)
    other = unit(other)
    return unit(cosine * centre + np.sqrt(1 - cosine**2) * other)


def blobs(
    seed: int = 0, k: int = 6, per: int = 60, noise: int = 0, spread: float = 0.12
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vectors, truth labels with -1 for uniform noise, centres)."""
    rng = np.random.default_rng(seed)
    centres = directions(rng, k)
    parts = [around(rng, centres[j], per, spread) for j in range(k)]
    truth = [np.full(per, j) for j in range(k)]
    if noise:
        parts.append(directions(rng, noise))
        truth.append(np.full(noise, -1))
    return np.concatenate(parts), np.concatenate(truth), centres


def nested(
    seed: int = 0, groups: int = 3, subs: int = 3, per: int = 50
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Groups of sub-groups: (vectors, sub labels, group label of each sub label)."""
    rng = np.random.default_rng(seed)
    tops = directions(rng, groups)
    parts: list[np.ndarray] = []
    truth: list[np.ndarray] = []
    group_of: list[int] = []
    for g in range(groups):
        for _ in range(subs):
            centre = unit(tops[g] + rng.standard_normal(DIM) * 0.09)
            parts.append(around(rng, centre, per, spread=0.06))
            truth.append(np.full(per, len(group_of)))
            group_of.append(g)
    return np.concatenate(parts), np.concatenate(truth), np.array(group_of)
