"""The Ray actor's work, called directly (no cluster): outcomes, the row codec, known hashes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from picsift.config import Settings
from picsift.errors import PicsiftError
from picsift.indexer.ray_worker import (
    ANALYSED,
    FAILED,
    KNOWN,
    ROW_FORMAT,
    AnalyseFiles,
    KnownHashes,
    decode_analysis,
    encode_analysis,
)
from picsift.models.presets import PresetCatalog
from picsift.store import IMAGE_SPACE, Analysis


def _analysis(vector: np.ndarray) -> Analysis:
    return Analysis(
        path="/photos/a.jpg",
        sha256="ab" * 32,
        size=10,
        mtime_ns=123,
        width=4,
        height=3,
        format="JPEG",
        taken_at=None,
        caption="a red dress",
        embedder="clip",
        captioner="florence",
        vectors={IMAGE_SPACE: ("clip", vector)},
        facets='{"colours": []}',
        tags="red",
        ocr_text=None,
    )


def test_results_cross_the_wire_bit_exact() -> None:
    vector = np.random.default_rng(0).standard_normal(512).astype(np.float32)
    back = decode_analysis(encode_analysis(_analysis(vector)))
    assert back.vectors[IMAGE_SPACE][0] == "clip"
    assert back.vectors[IMAGE_SPACE][1].tobytes() == vector.tobytes()
    assert back.format == "JPEG" and back.caption == "a red dress" and back.taken_at is None


def test_results_in_another_format_are_refused() -> None:
    text = encode_analysis(_analysis(np.zeros(4, np.float32))).replace(
        f'"row_format": {ROW_FORMAT}', f'"row_format": {ROW_FORMAT + 1}'
    )
    with pytest.raises(PicsiftError, match="same picsift version"):
        decode_analysis(text)
    with pytest.raises(PicsiftError, match="unreadable"):
        decode_analysis(text[:40])


def test_known_hashes() -> None:
    digests = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(50)]
    known = KnownHashes([*digests[:40], ""])
    assert len(known) == 40
    assert all(d in known for d in digests[:40])
    assert not any(d in known for d in digests[40:])
    assert digests[0] not in KnownHashes([])


@pytest.mark.usefixtures("tiny_env")
def test_a_batch_is_analysed_known_or_failed(photos: Path, tmp_path: Path) -> None:
    files = sorted(photos.glob("*.jpg"))[:3]
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    paths = [*files, broken]
    stats = [os.stat(p) for p in paths]
    settings = Settings(index_facets=["colours"], batch_size=4)
    preset = PresetCatalog().preset("tiny")
    known = KnownHashes([hashlib.sha256(files[0].read_bytes()).hexdigest()])
    out = AnalyseFiles(settings, preset, known)(
        {
            "path": np.array([str(p) for p in paths]),
            "size": np.array([s.st_size for s in stats]),
            "mtime_ns": np.array([s.st_mtime_ns for s in stats]),
        }
    )
    outcome = dict(zip(out["path"], out["outcome"], strict=True))
    assert outcome == {
        str(files[0]): KNOWN,
        str(files[1]): ANALYSED,
        str(files[2]): ANALYSED,
        str(broken): FAILED,
    }
    records = [decode_analysis(r) for r in out["record"] if r]
    assert [r.path for r in records] == [str(files[1]), str(files[2])]
    assert all(
        r.vectors[IMAGE_SPACE][1].shape == (records[0].vectors[IMAGE_SPACE][1].size,)
        for r in records
    )
    reason = out["error"][out["path"].index(str(broken))]
    assert reason  # the decoder's reason travels back to the driver
