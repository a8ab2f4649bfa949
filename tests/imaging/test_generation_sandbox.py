"""Generation metadata comes back from the decode sandbox beside the pixels, bounded; a
hostile chunk is reported and never stops the picture from decoding. The worker's reply is
read as untrusted data (``Generation.from_wire``)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from picsift.config import Settings
from picsift.imaging.generation import WIRE_PROMPT, Generation
from picsift.imaging.sandbox import DecodeSandbox
from tests.generated_files import A1111, A1111_PROMPT, COMFY, COMFY_PROMPT


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[DecodeSandbox]:
    with DecodeSandbox(Settings(home=tmp_path, decode_timeout=5.0), workers=1) as box:
        yield box


def _png(**chunks: str) -> bytes:
    meta = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        meta.add_text(key, value, zip=len(value) > 10_000)
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(buffer, "PNG", pnginfo=meta)
    return buffer.getvalue()


def test_prompt_and_generator_cross_the_wire(sandbox: DecodeSandbox) -> None:
    a1111 = sandbox.decode(_png(parameters=A1111), "a1111.png").generation
    assert a1111.prompt == A1111_PROMPT and a1111.generator == "Automatic1111"
    assert a1111.negative == "blurry, lowres" and a1111.parameters["Seed"] == "1234"
    comfy = sandbox.decode(_png(prompt=json.dumps(COMFY)), "comfy.png").generation
    assert comfy.prompt == COMFY_PROMPT and comfy.ai_generated


def test_plain_pictures_carry_nothing(sandbox: DecodeSandbox) -> None:
    assert sandbox.decode(_png(), "plain.png").generation.empty


def test_huge_and_nested_metadata_is_bounded_and_reported(sandbox: DecodeSandbox) -> None:
    huge = "a lighthouse, " * 40_000  # 560 kB of prompt (compressed in the file)
    deep = "[" * 100_000 + "]" * 100_000
    decoded = sandbox.decode(_png(parameters=huge, prompt=deep), "hostile.png")
    assert decoded.width == 32  # the picture itself is fine
    g = decoded.generation
    assert g.prompt is not None and len(g.prompt) <= WIRE_PROMPT
    assert any("cut" in p for p in g.problems)
    assert any("ComfyUI" in p for p in g.problems)  # the graph was refused, not parsed


def test_a_lying_worker_reply_is_dropped_field_by_field() -> None:
    bad = {
        "prompt": 42,
        "generator": "x" * 10_000,
        "ai_generated": "yes",
        "parameters": {"a": 1, "b": "ok", 3: "no"},
        "problems": "not a list",
    }
    g = Generation.from_wire(bad)
    assert g.prompt is None and g.generator == "x" * 200 and not g.ai_generated
    assert g.parameters == {"b": "ok"} and g.problems == ()
    assert Generation.from_wire(["not", "a", "dict"]) == Generation()
