"""``picsift eval clusters``: the current categories against known labels.

Labels are a CSV with header ``file,label`` (files relative to the indexed folder). Unsorted
images count as one more cluster in NMI/ARI/homogeneity/completeness (so leaving photos
unsorted is not free), and ``coverage`` is the share of labelled images in a category.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sklearn import metrics

from picsift.errors import PicsiftError
from picsift.eval.files import resolve_files
from picsift.store import Store


@dataclass(frozen=True)
class CategoryVsLabel:
    id: int
    name: str
    size: int
    majority_label: str
    purity: float


@dataclass(frozen=True)
class ClusterScores:
    images: int
    categories: int
    nmi: float
    ari: float
    homogeneity: float
    completeness: float
    coverage: float
    per_category: list[CategoryVsLabel]
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)  # category -> label -> n

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_labels(path: Path) -> list[tuple[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None or not {"file", "label"} <= set(reader.fieldnames):
                raise PicsiftError(f"{path}: the header must be 'file,label'")
            rows = [(r["file"], r["label"]) for r in reader if r.get("file")]
    except OSError as exc:
        raise PicsiftError(f"cannot read labels file {path}: {exc}") from None
    if not rows:
        raise PicsiftError(f"{path}: no labelled files")
    return rows


def evaluate_clusters(
    store: Store, labels: list[tuple[str, str]], root: Path | None
) -> ClusterScores:
    ids = [g[0] for g in resolve_files(store, [[f] for f, _ in labels], root)]
    truth = {image_id: label for image_id, (_, label) in zip(ids, labels, strict=True)}
    cats = store.categories
    found: dict[int, int] = {}
    for category_id, image_ids in cats.leaf_members().items():
        for image_id in image_ids:
            found[image_id] = category_id
    if not found:
        raise PicsiftError("the store has no categories yet: run `picsift cluster` first")
    y_true: list[str] = [truth[i] for i in ids]
    y_pred: list[int] = [found.get(i, -1) for i in ids]
    per = []
    for category in cats.all():
        if category.is_parent:
            continue
        members = [truth[i] for i in ids if found.get(i) == category.id]
        if not members:
            continue
        label, count = Counter(members).most_common(1)[0]
        per.append(
            CategoryVsLabel(
                category.id, category.name, len(members), label, round(count / len(members), 3)
            )
        )
    names = {c.id: c.name for c in cats.all()}
    confusion: dict[str, dict[str, int]] = {}
    for image_id, category_id in zip(ids, y_pred, strict=True):
        row = names.get(category_id, "Unsorted") if category_id != -1 else "Unsorted"
        counts = confusion.setdefault(row, {})
        counts[truth[image_id]] = counts.get(truth[image_id], 0) + 1
    return ClusterScores(
        confusion=confusion,
        images=len(ids),
        categories=len({p for p in y_pred if p != -1}),
        nmi=round(float(metrics.normalized_mutual_info_score(y_true, y_pred)), 4),
        ari=round(float(metrics.adjusted_rand_score(y_true, y_pred)), 4),
        homogeneity=round(float(metrics.homogeneity_score(y_true, y_pred)), 4),
        completeness=round(float(metrics.completeness_score(y_true, y_pred)), 4),
        coverage=round(sum(1 for p in y_pred if p != -1) / len(y_pred), 4),
        per_category=sorted(per, key=lambda c: -c.size),
    )
