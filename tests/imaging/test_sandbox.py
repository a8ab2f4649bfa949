"""The decode sandbox: worker processes that refuse, survive and recover, never taking the
caller down. Misbehaving decoders come in through the sandbox's own seam (``decoder=``)."""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from picsift.config import Settings
from picsift.errors import ImageError, UnsupportedImageError
from picsift.imaging.sandbox import DecodeSandbox
from tests.imaging import mischief
from tests.imaging.samples import allowed_samples, refused_samples


def _png(size: tuple[int, int] = (40, 30), colour: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[DecodeSandbox]:
    with DecodeSandbox(Settings(home=tmp_path, decode_timeout=2.0), workers=1) as box:
        yield box


@pytest.fixture
def mischievous(tmp_path: Path) -> Iterator[DecodeSandbox]:
    settings = Settings(home=tmp_path, decode_timeout=1.5)
    with DecodeSandbox(settings, decoder=mischief.REFERENCE, workers=1) as box:
        yield box


@pytest.mark.parametrize("sample", allowed_samples(), ids=lambda s: s.format)
def test_every_allowed_format_decodes(sandbox: DecodeSandbox, sample) -> None:  # type: ignore[no-untyped-def]
    decoded = sandbox.decode(sample.data, f"photo.{sample.extension}")
    assert decoded.format == sample.format
    assert (decoded.width, decoded.height) == sample.size
    assert decoded.image.mode == "RGB" and decoded.image.size == sample.size
    r, g, b = np.asarray(decoded.image).reshape(-1, 3).mean(axis=0)
    assert r > 150 and g < 90 and b < 90  # red survived the round trip


@pytest.mark.parametrize("sample", refused_samples(), ids=lambda s: s.format)
def test_refused_formats_never_reach_a_worker(mischievous: DecodeSandbox, sample) -> None:  # type: ignore[no-untyped-def]
    # named "crash...": a worker that saw it would die; the refusal comes first
    with pytest.raises(UnsupportedImageError) as info:
        mischievous.decode(sample.data, "crash-me.png")
    assert sample.reason in info.value.reason.lower()
    assert str(info.value).startswith("crash-me.png: not a supported image")


def test_a_decode_over_the_memory_limit_is_refused_and_the_worker_replaced(
    tmp_path: Path,
) -> None:
    big = io.BytesIO()
    Image.new("RGB", (8000, 8000), (10, 20, 30)).save(big, "PNG", compress_level=1)
    with DecodeSandbox(Settings(home=tmp_path, decode_memory_mb=256), workers=1) as box:
        with pytest.raises(ImageError) as info:
            box.decode(big.getvalue(), "big.png")
        assert info.value.reason == "needs more than 256 MB to decode (PICSIFT_DECODE_MEMORY_MB)"
        assert box.decode(_png(), "next.png").image.size == (40, 30)


def test_a_decode_over_the_time_limit_is_killed(mischievous: DecodeSandbox) -> None:
    started = time.monotonic()
    with pytest.raises(ImageError) as info:
        mischievous.decode(_png(), "slow.png")
    assert time.monotonic() - started < 10
    assert info.value.reason == "took longer than 1.5 s to decode (PICSIFT_DECODE_TIMEOUT)"
    assert mischievous.decode(_png(), "after.png").image.size == (40, 30)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("crash.png", "the decoder crashed on it (SIGSEGV)"),
        ("exit.png", "the decoder stopped unexpectedly (exit status 7)"),
        ("raise.png", "unexpected decoder failure: RuntimeError: a decoder bug"),
        ("oversized.png", "the decoder sent a malformed reply"),
    ],
)
def test_a_broken_decoder_costs_one_input_only(
    mischievous: DecodeSandbox, name: str, reason: str
) -> None:
    with pytest.raises(ImageError) as info:
        mischievous.decode(_png(), name)
    assert info.value.reason == reason and info.value.source == name
    assert mischievous.decode(_png(), "after.png").image.size == (40, 30)


def test_threads_share_the_pool(tmp_path: Path) -> None:
    results: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            size = (20 + n, 10 + n)
            results.append(box.decode(_png(size), f"{n}.png").image.size)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with DecodeSandbox(Settings(home=tmp_path), workers=2) as box:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors and sorted(results) == sorted((20 + n, 10 + n) for n in range(12))


def test_close_ends_the_workers(tmp_path: Path) -> None:
    box = DecodeSandbox(Settings(home=tmp_path), workers=2)
    box.decode(_png(), "a.png")
    pids = [w.proc.pid for w in box._workers]
    assert pids and all(_running(p) for p in pids)
    box.close()
    assert not any(_running(p) for p in pids)
    with pytest.raises(ImageError, match="shut down"):
        box.decode(_png(), "late.png")


def test_thumbnail_sizes_come_back_small(sandbox: DecodeSandbox) -> None:
    decoded = sandbox.decode(_png((900, 600)), "wide.png", max_side=128)
    assert decoded.image.size == (128, 85) and (decoded.width, decoded.height) == (900, 600)


def test_pillow_guard_stays_on_in_this_process(sandbox: DecodeSandbox) -> None:
    before = Image.MAX_IMAGE_PIXELS
    sandbox.decode(_png(), "a.png")
    assert before == Image.MAX_IMAGE_PIXELS and before is not None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for our purposes
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
