"""Model presets, read from TOML data rather than written as code branches.

The packaged ``presets.toml`` is the base; ``$PICSIFT_HOME/presets.toml``, when present, adds
or overrides entries, so a user can register another captioner or CLIP checkpoint without
touching the code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from picsift.errors import PresetError

ModelKind = Literal[
    "embedder", "captioner", "text_embedder", "depth", "segmenter", "pose", "editor", "controlnet"
]
# the one model of each kind a preset names, in the order Preset holds them
_PRESET_KINDS: tuple[ModelKind, ...] = (
    "embedder",
    "captioner",
    "text_embedder",
    "depth",
    "segmenter",
    "pose",
)
KINDS: tuple[ModelKind, ...] = (*_PRESET_KINDS, "editor", "controlnet")
DEFAULT_TEXT_EMBEDDER = "minilm-l6"
DEFAULT_DEPTH = "depth-anything-v2-small"
DEFAULT_SEGMENTER = "upernet-convnext-tiny"
DEFAULT_POSE = "vitpose-base-simple"
# edit methods of presets that name none: method name -> editor model
DEFAULT_EDITS = {
    "structure": "controlnet-sd15",
    "instruct": "instruct-pix2pix",
    "fast": "lcm-dreamshaper-v7",
}


@dataclass(frozen=True)
class ModelSpec:
    """One model: what it is, which code runs it, and where its weights come from."""

    name: str
    kind: ModelKind
    backend: str
    repo: str
    license: str = "unknown"
    architecture: str | None = None
    pretrained: str | None = None
    dim: int | None = None
    build: str | None = None
    revision: str | None = None
    path: str | None = None
    package: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def model_id(self) -> str:
        """Stable identity stored beside everything the model produced."""
        return f"{self.backend}:{self.repo}" + (f"@{self.revision}" if self.revision else "")

    @property
    def folder_name(self) -> str:
        return self.repo.replace("/", "--")


@dataclass(frozen=True)
class EditMethod:
    """One way to change a picture: a diffusion pipeline (``editor``) and, for structure-
    conditioned methods, a ControlNet per structure map it can keep (depth, edges, regions)."""

    name: str
    editor: ModelSpec
    controls: dict[str, ModelSpec] = field(default_factory=dict)

    @property
    def specs(self) -> list[ModelSpec]:
        return [self.editor, *self.controls.values()]


@dataclass(frozen=True)
class Preset:
    name: str
    embedder: ModelSpec
    captioner: ModelSpec
    text_embedder: ModelSpec | None = None
    depth: ModelSpec | None = None  # monocular depth, for the opt-in depth facet
    segmenter: ModelSpec | None = None  # semantic segmentation, for the opt-in regions facet
    pose: ModelSpec | None = None  # body keypoints, for the opt-in people facet
    # edit methods by name; the first is the default
    edits: dict[str, EditMethod] = field(default_factory=dict)
    description: str = ""
    meaningless: bool = False
    # its text models (CLIP text tower, caption meaning) read many languages, not only English
    multilingual: bool = False

    @property
    def caption_language(self) -> str:
        """The language the captioner writes in (ISO 639-1; its ``options.language``)."""
        return str(self.captioner.options.get("language", "en"))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PresetError(f"cannot read presets file {path}: {exc}") from exc


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = {section: dict(base.get(section, {})) for section in ("models", "presets")}
    for section in ("models", "presets"):
        out[section].update(extra.get(section, {}))
    return out


def _model_spec(name: str, raw: dict[str, Any]) -> ModelSpec:
    known = {f for f in ModelSpec.__dataclass_fields__ if f != "name"}
    unknown = set(raw) - known
    if unknown:
        raise PresetError(f"model '{name}': unknown fields {sorted(unknown)}")
    if raw.get("kind") not in KINDS:
        raise PresetError(f"model '{name}': kind must be one of {', '.join(KINDS)}")
    for required in ("backend", "repo"):
        if not raw.get(required):
            raise PresetError(f"model '{name}': missing '{required}'")
    return ModelSpec(name=name, **raw)


class PresetCatalog:
    """All known models and presets, merged from the packaged and the user's file."""

    def __init__(self, user_file: Path | None = None) -> None:
        packaged = resources.files("picsift.models").joinpath("presets.toml")
        with resources.as_file(packaged) as path:
            data = _read_toml(path)
        if user_file is not None and user_file.is_file():
            data = _merge(data, _read_toml(user_file))
        self.models = {name: _model_spec(name, raw) for name, raw in data["models"].items()}
        self._presets = data["presets"]

    def names(self) -> list[str]:
        return sorted(self._presets)

    def model(self, name: str) -> ModelSpec:
        try:
            return self.models[name]
        except KeyError:
            raise PresetError(
                f"unknown model '{name}'; known: {', '.join(sorted(self.models))}"
            ) from None

    def preset(self, name: str) -> Preset:
        raw = self._presets.get(name)
        if raw is None:
            raise PresetError(f"unknown preset '{name}'; choose one of: {', '.join(self.names())}")
        embedder, captioner = self.model(raw["embedder"]), self.model(raw["captioner"])
        text_embedder = self.model(raw.get("text_embedder", DEFAULT_TEXT_EMBEDDER))
        depth = self.model(raw.get("depth", DEFAULT_DEPTH))
        segmenter = self.model(raw.get("segmenter", DEFAULT_SEGMENTER))
        pose = self.model(raw.get("pose", DEFAULT_POSE))
        models = (embedder, captioner, text_embedder, depth, segmenter, pose)
        if tuple(m.kind for m in models) != _PRESET_KINDS:
            raise PresetError(f"preset '{name}': a model entry has the wrong kind")
        return Preset(
            name=name,
            embedder=embedder,
            captioner=captioner,
            text_embedder=text_embedder,
            depth=depth,
            segmenter=segmenter,
            pose=pose,
            edits=self._edits(name, raw.get("edit", DEFAULT_EDITS)),
            description=raw.get("description", ""),
            meaningless=bool(raw.get("meaningless", False)),
            multilingual=bool(raw.get("multilingual", False)),
        )

    def _edits(self, preset: str, raw: dict[str, str]) -> dict[str, EditMethod]:
        """``[presets.NAME.edit]``: method -> editor model; an editor's ``options.controls``
        names its ControlNet model per structure map."""
        methods: dict[str, EditMethod] = {}
        for method, model_name in raw.items():
            editor = self.model(model_name)
            if editor.kind != "editor":
                raise PresetError(f"preset '{preset}': edit method '{method}' is not an editor")
            controls = {
                control: self.model(str(ref))
                for control, ref in dict(editor.options.get("controls", {})).items()
            }
            if any(c.kind != "controlnet" for c in controls.values()):
                raise PresetError(f"model '{model_name}': a control is not a controlnet model")
            methods[method] = EditMethod(method, editor, controls)
        return methods
