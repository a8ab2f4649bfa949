"""The report's figures (matplotlib, headless). Each function returns a Figure, draws nothing
on screen and needs no display."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from picsift.errors import PicsiftError


def _plt() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PicsiftError("report plots need matplotlib: pip install 'picsift[eval]'") from None
    return plt


def recall_at_k(curves: Mapping[str, Mapping[int, float]], title: str) -> Any:
    """One line per channel: recall@K against K."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, points in curves.items():
        ks = sorted(points)
        ax.plot(ks, [points[k] for k in ks], marker="o", label=name)
    ax.set_xlabel("K")
    ax.set_ylabel("recall@K")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    plt.close(fig)
    return fig


def heatmap(
    matrix: Sequence[Sequence[float]], rows: Sequence[str], cols: Sequence[str], title: str
) -> Any:
    """Rows x columns of counts, e.g. categories x labels."""
    plt = _plt()
    height = max(3.0, 0.35 * len(rows) + 1.5)
    width = max(4.0, 0.45 * len(cols) + 2.5)
    fig, ax = plt.subplots(figsize=(width, height))
    image = ax.imshow(matrix, aspect="auto", cmap="Blues")
    ax.set_xticks(range(len(cols)), [str(c) for c in cols], rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), [str(r) for r in rows])
    ax.set_title(title)
    fig.colorbar(image, ax=ax)
    plt.close(fig)
    return fig


def bars(values: Mapping[str, Mapping[str, float]], title: str, ylabel: str) -> Any:
    """Grouped bars: one group per metric, one bar per model."""
    plt = _plt()
    models = list(values)
    metrics = sorted({m for v in values.values() for m in v})
    fig, ax = plt.subplots(figsize=(max(5.0, 0.9 * len(metrics) * max(len(models), 1)), 4))
    width = 0.8 / max(len(models), 1)
    for i, model in enumerate(models):
        xs = [j + i * width for j in range(len(metrics))]
        ax.bar(xs, [values[model].get(m, 0.0) or 0.0 for m in metrics], width, label=model)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(metrics))], metrics)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    plt.close(fig)
    return fig
