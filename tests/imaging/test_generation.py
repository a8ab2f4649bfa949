"""Generation metadata in the formats generators write, and hostile versions of them: the
prompt, the generator and the AI flag come out; what is malformed is bounded and reported."""

from __future__ import annotations

import io
import json

from PIL import Image, PngImagePlugin

from picsift.imaging.generation import MAX_TEXT, read_generation

A1111 = (
    "a cozy hotel room at dusk, warm light, (wide angle:1.2)\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 1234, Size: 768x512, "
    'Model hash: abcd1234, Model: sdxl_base, Lora hashes: "a: 1, b: 2", Version: v1.9.4'
)
COMFY = {
    "3": {"class_type": "KSampler", "inputs": {"positive": ["6", 0], "negative": ["7", 0]}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": ["10", 0], "clip": ["4", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "watermark, text"}},
    "10": {"class_type": "PrimitiveString", "inputs": {"value": "a golden retriever on a beach"}},
}
XMP = """<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:xmp="http://ns.adobe.com/xap/1.0/"
  xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
  xmp:CreatorTool="Adobe Firefly"
  Iptc4xmpExt:DigitalSourceType="SOURCEtrainedAlgorithmicMedia">
<dc:description><rdf:Alt>
<rdf:li xml:lang="x-default">a red sofa in a loft</rdf:li>
</rdf:Alt></dc:description>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>""".replace(
    "SOURCE", "http://cv.iptc.org/newscodes/digitalsourcetype/"
)


def _png_info(**chunks: str) -> dict[str, object]:
    """Chunks written by Pillow into a real PNG, as Pillow reads them back."""
    meta = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        meta.add_itxt(key, value)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG", pnginfo=meta)
    with Image.open(io.BytesIO(buffer.getvalue())) as im:
        return dict(im.info)


def test_automatic1111_parameters_chunk() -> None:
    found = read_generation(_png_info(parameters=A1111))
    assert found.prompt == "a cozy hotel room at dusk, warm light, (wide angle:1.2)"
    assert found.negative == "blurry, lowres" and found.generator == "Automatic1111"
    assert found.ai_generated and not found.problems
    assert found.parameters["Seed"] == "1234" and found.parameters["Lora hashes"] == "a: 1, b: 2"
    forge = read_generation({"parameters": A1111.replace("v1.9.4", "f2.0.1v1.10.1")})
    assert forge.generator == "Forge"


def test_comfyui_positive_prompt_is_followed_through_the_graph() -> None:
    found = read_generation(_png_info(prompt=json.dumps(COMFY), workflow="{}"))
    assert found.prompt == "a golden retriever on a beach"  # not the raw JSON, not the negative
    assert found.generator == "ComfyUI" and found.ai_generated


def test_comfyui_workflow_alone_is_a_reported_guess() -> None:
    workflow = {
        "nodes": [
            {"type": "CLIPTextEncode", "title": "Negative", "widgets_values": ["ugly"]},
            {"type": "CLIPTextEncode", "title": "Positive", "widgets_values": ["a lighthouse"]},
        ]
    }
    found = read_generation({"workflow": json.dumps(workflow)})
    assert found.prompt == "a lighthouse" and any("workflow" in p for p in found.problems)


def test_invokeai_and_novelai() -> None:
    invoke = {"positive_prompt": "a castle", "negative_prompt": "fog", "model": {"name": "x"}}
    found = read_generation({"invokeai_metadata": json.dumps(invoke)})
    assert (found.prompt, found.negative, found.generator) == ("a castle", "fog", "InvokeAI")
    old = {"image": {"prompt": [{"prompt": "a moat", "weight": 1}]}}
    assert read_generation({"sd-metadata": json.dumps(old)}).prompt == "a moat"
    novel = read_generation(
        {"Software": "NovelAI", "Description": "a fox", "Comment": json.dumps({"uc": "bad"})}
    )
    assert (novel.prompt, novel.negative, novel.generator) == ("a fox", "bad", "NovelAI")


def test_exif_user_comment_as_automatic1111_writes_it_in_jpeg() -> None:
    comment = b"UNICODE\x00" + A1111.encode("utf-16-be")
    found = read_generation({}, {0x9286: comment, 0x0131: "ignored"})
    assert found.prompt and found.prompt.startswith("a cozy hotel room")
    assert found.generator == "Automatic1111"


def test_xmp_digital_source_type_description_and_tool() -> None:
    found = read_generation({}, None, XMP)
    assert found.ai_generated and found.generator == "Adobe Firefly"
    assert found.prompt == "a red sofa in a loft"
    camera = read_generation({}, None, XMP.replace("trainedAlgorithmicMedia", "digitalCapture"))
    assert camera.empty  # a photo's caption is not a prompt


def test_plain_photos_say_nothing() -> None:
    assert read_generation({"dpi": (72, 72), "Software": "GIMP 2.10"}, {0x010E: "Holiday"}).empty


def test_huge_fields_are_cut_and_said() -> None:
    found = read_generation({"parameters": "x" * (MAX_TEXT * 3) + "\nSteps: 1"})
    assert found.prompt is not None and len(found.prompt) == MAX_TEXT
    assert any("cut" in p for p in found.problems)
    enormous = read_generation({"prompt": "[" * 3_000_000})
    assert enormous.prompt is None and enormous.problems


def test_broken_and_deeply_nested_json_is_reported_not_raised() -> None:
    assert "not valid JSON" in read_generation({"prompt": "{not json"}).problems[0]
    deep = read_generation({"prompt": "[" * 200_000 + "]" * 200_000})
    assert deep.prompt is None and any("nested" in p or "JSON" in p for p in deep.problems)


def test_a_cycle_in_the_graph_is_walked_a_bounded_number_of_steps() -> None:
    cycle = {
        "1": {"class_type": "KSampler", "inputs": {"positive": ["2", 0]}},
        "2": {"class_type": "Reroute", "inputs": {"text": ["2", 0]}},
    }
    found = read_generation({"prompt": json.dumps(cycle)})
    assert found.prompt is None and found.problems


def test_hostile_xmp_is_refused_not_expanded() -> None:
    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )
    laughs = f'<!DOCTYPE x [{entities}]><x:xmpmeta xmlns:x="adobe:ns:meta/">&l9;</x:xmpmeta>'
    found = read_generation({}, None, laughs)
    assert found.empty and found.problems  # a billion "lol"s are never built
    assert read_generation({}, None, "<x:xmpmeta><unclosed").problems
