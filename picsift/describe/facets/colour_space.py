"""Vectorised sRGB <-> CIELAB (D65) conversions and the shipped colour-name table."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from picsift.resources import data_dir

# sRGB (D65) linear RGB -> XYZ
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_WHITE = np.array([0.95047, 1.0, 1.08883])


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """``[..., 3]`` sRGB in 0..255 to CIELAB (L* 0..100)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _RGB_TO_XYZ.T / _WHITE
    eps = 216.0 / 24389.0
    kappa = 24389.0 / 27.0
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16.0) / 116.0)
    lab = np.empty_like(f)
    lab[..., 0] = 116.0 * f[..., 1] - 16.0
    lab[..., 1] = 500.0 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200.0 * (f[..., 1] - f[..., 2])
    return lab


def lab_to_srgb(lab: np.ndarray) -> np.ndarray:
    """CIELAB to sRGB 0..255 (float, clipped)."""
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16.0) / 116.0
    fx = fy + lab[..., 1] / 500.0
    fz = fy - lab[..., 2] / 200.0
    f = np.stack([fx, fy, fz], axis=-1)
    eps = 6.0 / 29.0
    xyz = np.where(f > eps, f**3, 3 * eps**2 * (f - 4.0 / 29.0)) * _WHITE
    linear = np.clip(xyz @ np.linalg.inv(_RGB_TO_XYZ).T, 0.0, 1.0)
    c = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.clip(c * 255.0, 0.0, 255.0)


def to_hex(rgb: np.ndarray) -> str:
    r, g, b = (round(float(v)) for v in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


@dataclass(frozen=True)
class ColourTable:
    css_names: tuple[str, ...]
    simple_names: tuple[str, ...]
    lab: np.ndarray  # [n, 3]

    def nearest(self, lab: np.ndarray) -> tuple[str, str]:
        """(simple name, css name) of the entry nearest to one Lab colour (CIE76 delta E)."""
        i = int(np.argmin(np.linalg.norm(self.lab - lab, axis=1)))
        return self.simple_names[i], self.css_names[i]


@lru_cache(maxsize=1)
def colour_table() -> ColourTable:
    path = data_dir() / "colours.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    rgb = np.array([[int(r["hex"][i : i + 2], 16) for i in (1, 3, 5)] for r in rows], float)
    return ColourTable(
        css_names=tuple(r["css_name"] for r in rows),
        simple_names=tuple(r["simple"] for r in rows),
        lab=srgb_to_lab(rgb),
    )
