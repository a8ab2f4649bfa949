"""Composition facet: orientation, aspect, where the subject is, sharpness and framing.

The subject is estimated without models by spectral residual saliency (Hou & Zhang, CVPR
2007) on a 64x64 greyscale; sharpness is the variance of the Laplacian, taken per tile so a
sharp subject on a plain background still reads as sharp.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from picsift.describe.facets.base import ImageFacet, field_of
from picsift.describe.model import (
    BlurLabel,
    CompositionFacet,
    DescriptionBase,
    Framing,
    Orientation,
)

SALIENCY_SIDE = 64
SHARPNESS_SIDE = 512
TILE = 32
SHARPNESS_SCALE = 150.0  # Laplacian variance giving sharpness 0.5 (on 0..255 grey)
SHARP_AT = 0.5
SOFT_AT = 0.2
CLOSE_UP_AREA = 0.45
WIDE_AREA = 0.12
SQUARE_TOLERANCE = 0.02
ASPECT_TOLERANCE = 0.02
COMMON_ASPECTS = ((1, 1), (5, 4), (4, 3), (3, 2), (16, 10), (16, 9), (2, 1), (21, 9), (3, 1))


def _grey(image: Image.Image, size: tuple[int, int] | int) -> np.ndarray:
    img = image.convert("L")
    if isinstance(size, tuple):
        img = img.resize(size, Image.Resampling.BOX)
    elif max(img.size) > size:
        img.thumbnail((size, size), Image.Resampling.BOX, reducing_gap=2.0)
    return np.asarray(img, dtype=np.float64)


def _aspect(width: int, height: int) -> tuple[Orientation, float, str | None]:
    ratio = width / height
    wide = max(ratio, 1.0 / ratio)
    orientation: Orientation
    if wide <= 1.0 + SQUARE_TOLERANCE:
        orientation = "square"
    else:
        orientation = "landscape" if ratio > 1.0 else "portrait"
    label = None
    for a, b in COMMON_ASPECTS:
        if abs(wide / (a / b) - 1.0) <= ASPECT_TOLERANCE:
            label = f"{a}:{b}" if ratio >= 1.0 else f"{b}:{a}"
            break
    return orientation, round(ratio, 4), label


def _blur(arr: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur (reflect padding), vectorised with sliding windows."""
    radius = max(1, round(3 * sigma))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-(x**2) / (2 * sigma**2))
    kernel /= kernel.sum()
    out = arr
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (radius, radius)
        padded = np.pad(out, pad, mode="reflect")
        windows = np.lib.stride_tricks.sliding_window_view(padded, len(kernel), axis=axis)
        out = windows @ kernel
    return out


def spectral_residual_saliency(grey: np.ndarray) -> np.ndarray:
    """Saliency map (same shape, 0..1) of a small greyscale image."""
    spectrum = np.fft.fft2(grey)
    log_amp = np.log(np.abs(spectrum) + 1e-9)
    phase = np.angle(spectrum)
    avg = sum(np.roll(log_amp, (dy, dx), axis=(0, 1)) for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    residual = log_amp - avg / 9.0
    sal = np.abs(np.fft.ifft2(np.exp(residual + 1j * phase))) ** 2
    sal = _blur(sal, sigma=2.5)
    top = sal.max()
    return sal / top if top > 0 else np.zeros_like(sal)


def salient_box(sal: np.ndarray) -> tuple[float, float, float, float]:
    """Box (x0, y0, x1, y1) in 0..1 holding the bulk of the thresholded saliency mass."""
    h, w = sal.shape
    mean = float(sal.mean())
    if mean <= 0 or float(sal.max() - sal.min()) < 1e-6:
        return (0.0, 0.0, 1.0, 1.0)
    mass = np.where(sal > 3.0 * mean, sal, 0.0)
    if mass.sum() <= 0:
        mass = sal

    def span(marginal: np.ndarray, n: int) -> tuple[float, float]:
        cum = np.cumsum(marginal) / marginal.sum()
        lo = int(np.searchsorted(cum, 0.02))
        hi = int(np.searchsorted(cum, 0.98)) + 1
        return lo / n, min(hi, n) / n

    x0, x1 = span(mass.sum(axis=0), w)
    y0, y1 = span(mass.sum(axis=1), h)
    return (round(x0, 4), round(y0, 4), round(x1, 4), round(y1, 4))


def position_label(box: tuple[float, float, float, float]) -> str:
    cx = (box[0] + box[2]) / 2
    cy = (box[1] + box[3]) / 2
    col = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else "centre"
    row = "top" if cy < 1 / 3 else "bottom" if cy > 2 / 3 else "middle"
    if row == "middle":
        return "centre" if col == "centre" else f"middle {col}"
    return f"{row} {col}"


def laplacian_variance(grey: np.ndarray, tile: int = TILE) -> float:
    """95th percentile over tiles of the variance of the 4-neighbour Laplacian."""
    if min(grey.shape) < 3:
        return 0.0
    lap = grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1] - 4 * grey[1:-1, 1:-1]
    h, w = lap.shape
    th, tw = h // tile, w // tile
    if th == 0 or tw == 0:
        return float(lap.var())
    tiles = lap[: th * tile, : tw * tile].reshape(th, tile, tw, tile).swapaxes(1, 2)
    return float(np.percentile(tiles.reshape(th * tw, -1).var(axis=1), 95))


def sharpness_score(variance: float) -> float:
    return variance / (variance + SHARPNESS_SCALE)


def composition_facet(image: Image.Image) -> CompositionFacet:
    width, height = image.size
    orientation, ratio, label = _aspect(width, height)
    sal = spectral_residual_saliency(_grey(image, (SALIENCY_SIDE, SALIENCY_SIDE)))
    box = salient_box(sal)
    area = (box[2] - box[0]) * (box[3] - box[1])
    framing: Framing = (
        "close-up" if area > CLOSE_UP_AREA else "wide" if area < WIDE_AREA else "medium"
    )
    sharpness = sharpness_score(laplacian_variance(_grey(image, SHARPNESS_SIDE)))
    blur: BlurLabel = (
        "sharp" if sharpness >= SHARP_AT else "soft" if sharpness >= SOFT_AT else "blurry"
    )
    return CompositionFacet(
        orientation=orientation,
        aspect_ratio=ratio,
        aspect_label=label,
        subject_position=position_label(box),
        subject_box=box,
        sharpness=round(sharpness, 4),
        blur_label=blur,
        framing=framing,
    )


def _words(description: DescriptionBase) -> list[str]:
    comp: CompositionFacet | None = field_of(description, "composition")
    return [] if comp is None else [comp.orientation, comp.framing, comp.blur_label]


FACET = ImageFacet(
    name="composition",
    fields={"composition": (CompositionFacet | None, None)},
    of_image=lambda image: {"composition": composition_facet(image)},
    to_words=_words,
)
