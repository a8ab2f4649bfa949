"""Colour facet: dominant palette (k-means in CIELAB), brightness, contrast, colourfulness."""

from __future__ import annotations

import numpy as np
from PIL import Image

from picsift.describe.facets.base import ImageFacet, field_of
from picsift.describe.facets.colour_space import colour_table, lab_to_srgb, srgb_to_lab, to_hex
from picsift.describe.model import Colour, ColourFacet, DescriptionBase

MIN_COLOUR_SHARE = 0.1  # colours covering less of the image are not worth a search word

SAMPLE_SIDE = 64  # the palette is computed on at most 64x64 pixels
K = 5
MERGE_DELTA_E = 8.0  # clusters closer than this are one colour
MIN_SHARE = 0.02  # smaller clusters (edge blends, noise) are folded into their nearest colour
SEED = 0


def _small_rgb(image: Image.Image, side: int) -> np.ndarray:
    img = image if image.mode == "RGB" else image.convert("RGB")
    if max(img.size) > side:
        img = img.copy()
        img.thumbnail((side, side), Image.Resampling.BOX, reducing_gap=2.0)
    return np.asarray(img, dtype=np.float64)


def kmeans(points: np.ndarray, k: int, *, seed: int = SEED, iters: int = 20) -> np.ndarray:
    """Labels of a small, deterministic k-means (k-means++ init); fewer clusters if the points
    have fewer distinct values. Returns ``labels`` of shape ``[n]``."""
    rng = np.random.default_rng(seed)
    n = len(points)
    centres = [points[int(rng.integers(n))]]
    d2 = np.sum((points - centres[0]) ** 2, axis=1)
    for _ in range(1, k):
        total = d2.sum()
        if total <= 1e-9:
            break
        centres.append(points[int(rng.choice(n, p=d2 / total))])
        d2 = np.minimum(d2, np.sum((points - centres[-1]) ** 2, axis=1))
    c = np.array(centres)
    labels = np.zeros(n, dtype=np.int64)
    for i in range(iters):
        dist = ((points[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
        new = dist.argmin(axis=1)
        if i and np.array_equal(new, labels):
            break
        labels = new
        counts = np.bincount(labels, minlength=len(c)).astype(np.float64)
        sums = np.zeros_like(c)
        np.add.at(sums, labels, points)
        keep = counts > 0
        c[keep] = sums[keep] / counts[keep, None]
    return labels


def _merge(centres: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge clusters closer than MERGE_DELTA_E, then fold clusters under MIN_SHARE."""
    cs, ws = list(centres), list(weights)
    while len(cs) > 1:
        arr = np.array(cs)
        dist = np.linalg.norm(arr[:, None] - arr[None], axis=2)
        np.fill_diagonal(dist, np.inf)
        flat = int(np.argmin(dist))
        i, j = flat // len(cs), flat % len(cs)
        near = bool(dist[i, j] < MERGE_DELTA_E)
        if not near:
            small = min(range(len(ws)), key=lambda n: ws[n])
            if ws[small] >= MIN_SHARE * sum(ws):
                break
            i, j = small, int(np.argmin(dist[small]))
        w = ws[i] + ws[j]
        # the bigger cluster survives; near shades average, folded noise keeps the real colour
        keep, drop = (i, j) if ws[i] >= ws[j] else (j, i)
        merged = (cs[i] * ws[i] + cs[j] * ws[j]) / w if near else cs[keep]
        cs[keep], ws[keep] = merged, w
        del cs[drop], ws[drop]
    return np.array(cs), np.array(ws)


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk (2003): sigma_rgyb + 0.3 * mu_rgyb on 0..255 sRGB."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg = r - g
    yb = 0.5 * (r + g) - b
    sigma = float(np.sqrt(rg.std() ** 2 + yb.std() ** 2))
    mu = float(np.sqrt(rg.mean() ** 2 + yb.mean() ** 2))
    return sigma + 0.3 * mu


def colour_facet(image: Image.Image) -> ColourFacet:
    rgb = _small_rgb(image, SAMPLE_SIDE)
    pixels = rgb.reshape(-1, 3)
    lab = srgb_to_lab(pixels)
    labels = kmeans(lab, K)
    counts = np.bincount(labels)
    present = np.flatnonzero(counts)
    centres = np.array([lab[labels == i].mean(axis=0) for i in present])
    centres, weights = _merge(centres, counts[present].astype(np.float64))
    shares = weights / weights.sum()

    table = colour_table()
    by_name: dict[str, tuple[float, np.ndarray, str]] = {}
    for centre, share in zip(centres, shares, strict=True):
        simple, css = table.nearest(centre)
        if simple in by_name:  # two shades with one readable name are one palette entry
            old_share, old_centre, old_css = by_name[simple]
            if old_share >= share:
                centre, css = old_centre, old_css
            share += old_share
        by_name[simple] = (float(share), centre, css)
    palette = [
        Colour(name=name, hex=to_hex(lab_to_srgb(centre)), share=round(share, 4), css_name=css)
        for name, (share, centre, css) in sorted(by_name.items(), key=lambda kv: -kv[1][0])
    ]
    lightness = lab[:, 0]
    return ColourFacet(
        palette=palette,
        brightness=round(float(np.clip(lightness.mean() / 100.0, 0.0, 1.0)), 4),
        contrast=round(float(np.clip(lightness.std() / 50.0, 0.0, 1.0)), 4),
        colourfulness=round(colourfulness(rgb), 2),
    )


def _words(description: DescriptionBase) -> list[str]:
    colours: ColourFacet | None = field_of(description, "colours")
    if colours is None:
        return []
    return [c.name for c in colours.palette if c.share >= MIN_COLOUR_SHARE]


FACET = ImageFacet(
    name="colours",
    fields={"colours": (ColourFacet | None, None)},
    of_image=lambda image: {"colours": colour_facet(image)},
    to_words=_words,
)
