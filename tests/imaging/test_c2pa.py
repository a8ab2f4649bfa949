"""C2PA manifests (Content Credentials), signed in the test with a throwaway certificate:
the generator and the AI assertion come out of the decode sandbox; a damaged manifest is
reported and the picture still decodes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from picsift.config import Settings
from picsift.imaging.c2pa_manifest import read_c2pa
from picsift.imaging.sandbox import DecodeSandbox
from tests.conftest import SAMPLES
from tests.generated_files import C2PA_GENERATOR, c2pa_jpeg


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[DecodeSandbox]:
    with DecodeSandbox(Settings(home=tmp_path, decode_timeout=10.0), workers=1) as box:
        yield box


@pytest.fixture
def signed(tmp_path: Path) -> bytes:
    source = Image.open(sorted(SAMPLES.glob("*.jpg"))[0])
    return c2pa_jpeg(source, tmp_path / "signed.jpg").read_bytes()


def test_generator_and_ai_assertion_through_the_sandbox(
    sandbox: DecodeSandbox, signed: bytes
) -> None:
    found = sandbox.decode(signed, "signed.jpg").generation
    assert found.generator == C2PA_GENERATOR and found.ai_generated
    assert found.parameters["C2PA signer"] == "picsift tests"
    assert found.parameters["C2PA"] in ("Valid", "Trusted")  # a test CA is never trusted


def test_a_damaged_manifest_is_reported_and_the_picture_decodes(
    sandbox: DecodeSandbox, signed: bytes
) -> None:
    data = bytearray(signed)
    at = data.find(b"c2pa.actions")
    data[at + 20 : at + 200] = b"\xff" * 180
    decoded = sandbox.decode(bytes(data), "damaged.jpg")
    assert decoded.width > 0 and not decoded.generation.ai_generated
    assert any(p.startswith("C2PA: unreadable manifest") for p in decoded.generation.problems)


def test_files_without_a_manifest_pay_nothing() -> None:
    plain = sorted(SAMPLES.glob("*.jpg"))[0].read_bytes()
    assert read_c2pa(plain, "JPEG") is None
    assert read_c2pa(b"...c2pa...", "GIF") is None  # no manifest in formats C2PA has none for
