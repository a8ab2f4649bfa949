"""Locating the files picsift ships in ``data/`` (sample photos, vocabularies, templates)."""

from __future__ import annotations

from pathlib import Path


def data_dir() -> Path:
    """``picsift/_data`` in an installed wheel, else the repository's ``data/`` folder."""
    packaged = Path(__file__).parent / "_data"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "data"


def sample_photos_dir() -> Path:
    return data_dir() / "samples"
