"""What a generated image says about how it was made: the prompt, the generator, and whether
it is marked as made with AI, read from the metadata generators write.

Sources, as Pillow exposes them after decoding (``Image.info``, EXIF, the XMP packet):

- Automatic1111 / Forge: the ``parameters`` PNG text chunk, or EXIF ``UserComment`` in JPEG
  and WebP ("prompt / Negative prompt: ... / Steps: ..., Sampler: ..., Version: ...");
- ComfyUI: the ``prompt`` chunk, the API graph; the positive prompt is the text that the
  sampler's ``positive`` input leads to, never the raw JSON (``workflow``, the editor's
  graph, is only a fallback);
- InvokeAI: ``invokeai_metadata`` (or the older ``sd-metadata``); NovelAI: ``Software`` =
  NovelAI with ``Description`` (prompt) and ``Comment`` (JSON settings);
- EXIF ``ImageDescription`` and ``Software``; XMP ``dc:description``, ``xmp:CreatorTool`` and
  IPTC ``DigitalSourceType`` (``trainedAlgorithmicMedia`` and its composite form).

Everything here is untrusted: every field is cut to a bound, JSON is read only below a size
and nesting limit, graphs are walked a bounded number of steps, and what was malformed or
cut is reported in ``problems`` instead of raised. Pure functions of the values given; the
decoding sandbox calls them.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from picsift.imaging.xmp_marks import written_by_picsift

MAX_TEXT = 16_000  # characters kept of a prompt or description
MAX_FIELD = 256_000  # bytes of one metadata field read at all
MAX_JSON = 2_000_000  # bytes of a JSON graph parsed
MAX_STEPS = 32  # links followed from a sampler to its prompt text
MAX_NAME = 200  # characters of a generator's name, a parameter or a problem
# what crosses the sandbox's wire: prompt and negative prompt characters, settings
WIRE_PROMPT, WIRE_NEGATIVE, WIRE_ITEMS = 8_000, 4_000, 32
AI_SOURCE_TYPES = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia")
_EXIF_USER_COMMENT, _EXIF_DESCRIPTION, _EXIF_SOFTWARE = 0x9286, 0x010E, 0x0131
_PARAMS = re.compile(r'\s*([\w ()/-]+):\s*("(?:\\.|[^"\\])*"|[^,]*)(?:,|$)')
_NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "ext": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
}


@dataclass(frozen=True)
class Generation:
    prompt: str | None = None
    negative: str | None = None
    generator: str | None = None
    ai_generated: bool = False
    parameters: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.prompt or self.generator or self.ai_generated)

    def wire(self) -> dict[str, Any]:
        """As JSON-ready data, cut to fit one sandbox reply (and one stored row)."""
        return {
            "prompt": self.prompt[:WIRE_PROMPT] if self.prompt else None,
            "negative": self.negative[:WIRE_NEGATIVE] if self.negative else None,
            "generator": self.generator[:MAX_NAME] if self.generator else None,
            "ai_generated": self.ai_generated,
            "parameters": {
                k[:64]: v[:MAX_NAME] for k, v in list(self.parameters.items())[:WIRE_ITEMS]
            },
            "problems": [p[:MAX_NAME] for p in self.problems[:8]],
        }

    @classmethod
    def from_wire(cls, data: object) -> Generation:
        """Read back :meth:`wire`'s data, which a decode worker that parsed hostile bytes
        sent: anything of the wrong type or size is dropped, never trusted."""
        if not isinstance(data, dict):
            return cls()

        def text(key: str, limit: int) -> str | None:
            value = data.get(key)
            return value[:limit] or None if isinstance(value, str) else None

        raw = data.get("parameters")
        parameters = {
            k[:64]: v[:MAX_NAME]
            for k, v in (list(raw.items())[:WIRE_ITEMS] if isinstance(raw, dict) else [])
            if isinstance(k, str) and isinstance(v, str)
        }
        problems = data.get("problems")
        return cls(
            text("prompt", WIRE_PROMPT),
            text("negative", WIRE_NEGATIVE),
            text("generator", MAX_NAME),
            data.get("ai_generated") is True,
            parameters,
            tuple(
                p[:MAX_NAME]
                for p in (problems[:8] if isinstance(problems, list) else [])
                if isinstance(p, str)
            ),
        )

    def details(self) -> str | None:
        """What a store keeps beside the prompt and generator columns, as JSON."""
        if self.empty and not self.problems:
            return None
        data = self.wire()
        return json.dumps(
            {k: data[k] for k in ("negative", "parameters", "problems") if data[k]},
            ensure_ascii=False,
        )


@dataclass
class _Found:
    prompt: str | None = None
    negative: str | None = None
    generator: str | None = None
    ai: bool = False
    parameters: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def take(self, prompt: str | None, negative: str | None, generator: str | None) -> None:
        """The first source that names a prompt wins; later ones only fill gaps."""
        if prompt and not self.prompt:
            self.prompt, self.negative = _cut(prompt, self), _cut(negative, self)
        if generator and not self.generator:
            self.generator = generator
        if prompt or generator:
            self.ai = True


def read_generation(
    info: Mapping[str, Any],
    exif: Mapping[int, Any] | None = None,
    xmp: str | bytes | None = None,
) -> Generation:
    """What ``info`` (PNG text chunks, ``Image.info``), ``exif`` and the ``xmp`` packet say
    about how the picture was made."""
    found = _Found()
    text = {
        str(k): _text(v, found)
        for k, v in info.items()
        if isinstance(v, str | bytes) and k not in ("xmp", "XML:com.adobe.xmp", "icc_profile")
    }
    if text.get("parameters"):
        found.take(*_a1111(text["parameters"], found))
    if text.get("prompt"):
        found.take(_comfy_prompt(text["prompt"], found), None, "ComfyUI")
    elif text.get("workflow"):
        found.take(_comfy_workflow(text["workflow"], found), None, "ComfyUI")
    for key in ("invokeai_metadata", "sd-metadata"):
        if text.get(key):
            found.take(*_invoke(text[key], found), "InvokeAI")
    if text.get("Software", "").startswith("NovelAI"):
        negative = _novelai_negative(text.get("Comment"), found)
        found.take(text.get("Description"), negative, "NovelAI")
    if exif:
        _exif(exif, found)
    packet = xmp or info.get("xmp") or info.get("XML:com.adobe.xmp")
    if isinstance(packet, str | bytes) and packet:
        _xmp(packet, found)
    return Generation(
        found.prompt,
        found.negative,
        found.generator,
        found.ai,
        dict(list(found.parameters.items())[:64]),
        tuple(dict.fromkeys(found.problems)),
    )


def _text(value: str | bytes, found: _Found) -> str:
    if isinstance(value, bytes):
        value = value[:MAX_FIELD].decode("utf-8", errors="replace")
    if len(value) > MAX_FIELD:
        found.problems.append(f"a metadata field of {len(value):,} characters was cut")
        value = value[:MAX_FIELD]
    return value.replace("\x00", "")


def _cut(text: str | None, found: _Found) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if len(text) > MAX_TEXT:
        found.problems.append(f"a prompt of {len(text):,} characters was cut to {MAX_TEXT:,}")
        text = text[:MAX_TEXT]
    return text or None


def _a1111(raw: str, found: _Found) -> tuple[str | None, str | None, str | None]:
    """Automatic1111's text: prompt lines, "Negative prompt:" lines, one settings line."""
    lines = raw.strip().split("\n")
    settings = ""
    if lines and lines[-1].lstrip().startswith("Steps:"):
        settings = lines.pop()
    prompt: list[str] = []
    negative: list[str] = []
    for line in lines:
        if line.startswith("Negative prompt:") or negative:
            negative.append(line.removeprefix("Negative prompt:").strip())
        else:
            prompt.append(line)
    for key, value in _PARAMS.findall(settings):
        found.parameters[key.strip()] = value.strip().strip('"')[:500]
    version = found.parameters.get("Version", "")
    generator = "Forge" if version.startswith("f") else "Automatic1111"
    return "\n".join(prompt), "\n".join(negative) or None, generator


def _json(raw: str, found: _Found, what: str) -> Any:
    if len(raw) > MAX_JSON:
        found.problems.append(f"{what}: {len(raw):,} bytes of JSON, over {MAX_JSON:,}; not read")
        return None
    try:
        return json.loads(raw)
    except RecursionError:
        found.problems.append(f"{what}: JSON nested too deeply; not read")
    except ValueError as exc:
        found.problems.append(f"{what}: not valid JSON ({str(exc)[:80]})")
    return None


def _comfy_prompt(raw: str, found: _Found) -> str | None:
    """The text a sampler's ``positive`` input leads to in ComfyUI's API graph."""
    graph = _json(raw, found, "ComfyUI prompt")
    if not isinstance(graph, dict):
        return None
    for node_id in sorted(graph, key=str):
        node = graph[node_id]
        inputs = node.get("inputs") if isinstance(node, dict) else None
        if isinstance(inputs, dict) and "positive" in inputs:
            text = _follow(graph, inputs["positive"], found)
            if text:
                return text
    found.problems.append("ComfyUI prompt: no sampler leads to a prompt text")
    return None


def _follow(graph: dict[str, Any], link: Any, found: _Found) -> str | None:
    """Follow links ([node id, output]) until a node holds text, at most MAX_STEPS."""
    for _ in range(MAX_STEPS):
        if isinstance(link, str):
            return link
        if not (isinstance(link, list) and link and str(link[0]) in graph):
            return None
        node = graph[str(link[0])]
        inputs = node.get("inputs", {}) if isinstance(node, dict) else {}
        if not isinstance(inputs, dict):
            return None
        for key in ("text", "text_g", "string", "value", "prompt", "conditioning"):
            if key in inputs:
                link = inputs[key]
                break
        else:
            return None
    found.problems.append(f"ComfyUI prompt: more than {MAX_STEPS} links to the prompt")
    return None


def _comfy_workflow(raw: str, found: _Found) -> str | None:
    """The editor's graph: the first text encoder's text not titled negative (a guess)."""
    graph = _json(raw, found, "ComfyUI workflow")
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    for node in nodes if isinstance(nodes, list) else []:
        if not isinstance(node, dict) or "TextEncode" not in str(node.get("type", "")):
            continue
        if "negative" in str(node.get("title", "")).lower():
            continue
        widgets = node.get("widgets_values")
        if isinstance(widgets, list) and widgets and isinstance(widgets[0], str):
            found.problems.append("ComfyUI: prompt taken from the workflow, not the API graph")
            return widgets[0]
    return None


def _invoke(raw: str, found: _Found) -> tuple[str | None, str | None]:
    data = _json(raw, found, "InvokeAI metadata")
    if not isinstance(data, dict):
        return None, None
    if "positive_prompt" in data:
        positive, negative = data.get("positive_prompt"), data.get("negative_prompt")
        return (
            positive if isinstance(positive, str) else None,
            negative if isinstance(negative, str) else None,
        )
    image = data.get("image")
    prompts = image.get("prompt") if isinstance(image, dict) else None
    if isinstance(prompts, list) and prompts and isinstance(prompts[0], dict):
        text = prompts[0].get("prompt")
        return (text if isinstance(text, str) else None), None
    return (prompts if isinstance(prompts, str) else None), None


def _novelai_negative(raw: str | None, found: _Found) -> str | None:
    data = _json(raw, found, "NovelAI comment") if raw else None
    negative = data.get("uc") if isinstance(data, dict) else None
    return negative if isinstance(negative, str) else None


def _exif(exif: Mapping[int, Any], found: _Found) -> None:
    comment = exif.get(_EXIF_USER_COMMENT)
    if isinstance(comment, bytes | str):
        text = _user_comment(comment[:MAX_FIELD])
        if "Steps:" in text:
            found.take(*_a1111(text, found))
    software = exif.get(_EXIF_SOFTWARE)
    if isinstance(software, str) and found.ai and not found.generator:
        found.generator = software[:200].strip() or None
    description = exif.get(_EXIF_DESCRIPTION)
    if isinstance(description, str) and found.ai and not found.prompt:
        found.prompt = _cut(description[:MAX_FIELD], found)


def _user_comment(raw: bytes | str) -> str:
    """EXIF UserComment: an 8-byte character code, then the text (A1111 writes UTF-16)."""
    if isinstance(raw, str):
        return raw.replace("\x00", "")
    code, body = raw[:8], raw[8:]
    if code.startswith(b"UNICODE"):
        big = body.decode("utf-16-be", errors="replace")
        little = body.decode("utf-16-le", errors="replace")
        return (big if big.isprintable() or "\n" in big else little).replace("\x00", "")
    return body.decode("utf-8", errors="replace").replace("\x00", "")


def _xmp(packet: str | bytes, found: _Found) -> None:
    if isinstance(packet, bytes):
        packet = packet[:MAX_FIELD].decode("utf-8", errors="replace")
    start = packet.find("<x:xmpmeta")
    end = packet.find("</x:xmpmeta>")
    body = packet[start : end + len("</x:xmpmeta>")] if start >= 0 and end > start else packet
    try:  # expat >= 2.4 (CPython's) refuses entity amplification; nothing external loads
        root = ET.fromstring(body[:MAX_FIELD])
    except ET.ParseError as exc:
        found.problems.append(f"XMP: not well-formed ({str(exc)[:80]})")
        return
    source = _xmp_value(root, "ext:DigitalSourceType")
    if source and source.rstrip("/").rsplit("/", 1)[-1] in AI_SOURCE_TYPES:
        found.ai = True
    tool = _xmp_value(root, "xmp:CreatorTool")
    if tool and found.ai and not found.generator:
        found.generator = tool[:200]
    description = _xmp_value(root, "dc:description")
    if description and written_by_picsift(description, root):
        return  # picsift's own description (picsift export xmp), not a prompt
    if description and found.ai and not found.prompt:
        found.prompt = _cut(description, found)


def _xmp_value(root: ET.Element, name: str) -> str | None:
    """A property as an attribute, an element's text, or its first rdf:li."""
    prefix, local = name.split(":")
    qualified = f"{{{_NS[prefix]}}}{local}"
    for element in root.iter():
        if qualified in element.attrib:
            return str(element.attrib[qualified])
        if element.tag == qualified:
            item = element.find(".//rdf:li", _NS)
            text = (item.text if item is not None else element.text) or ""
            return text.strip() or None
    return None
