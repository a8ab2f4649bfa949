"""Owns the loaded models of one preset: each loads lazily, once per process, behind a lock.

Indexer, describe and the API ask the provider for an embedder or captioner; the first ask
pays the load, later ones (from any thread) get the same object. Tests pass a provider
holding fakes instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from picsift.config import Settings
from picsift.errors import ModelUnavailableError, PicsiftError, PresetError, UnknownMethodError
from picsift.models import locate
from picsift.models.base import (
    Captioner,
    DepthEstimator,
    ImageTextEmbedder,
    PoseEstimator,
    Segmenter,
    TextEmbedder,
)
from picsift.models.edit_base import ImageEditor
from picsift.models.presets import EditMethod, ModelSpec, Preset
from picsift.models.runtime import configure_threads, pick_device, quiet_loading


class ModelSource(Protocol):
    """What services need from a provider; fakes implement this in tests."""

    @property
    def preset(self) -> Preset: ...

    def embedder(self) -> ImageTextEmbedder: ...

    def captioner(self) -> Captioner: ...

    def text_embedder(self) -> TextEmbedder: ...

    def depth(self) -> DepthEstimator: ...

    def segmenter(self) -> Segmenter: ...

    def pose(self) -> PoseEstimator: ...

    def editor(self, method: str) -> ImageEditor:
        """The preset's edit method ``method`` (UnknownMethodError if it has none such)."""
        ...


def _build_tiny(name: str, target: Path) -> Path:
    from picsift.models.tiny import build_tiny

    return build_tiny(name, target)


def _load(spec: ModelSpec, folder: Path, settings: Settings) -> Any:
    device = pick_device(settings)
    if spec.backend == "open_clip":
        runtime = settings.embedder_runtime or str(spec.options.get("runtime", "torch"))
        if runtime in ("onnx", "onnx-int8"):
            from picsift.models.onnx_clip import OnnxClipEmbedder

            return OnnxClipEmbedder(
                folder, spec.model_id, device, runtime == "onnx-int8", settings.resolved_threads
            )
        if runtime != "torch":
            raise PresetError(f"model '{spec.name}': unknown runtime '{runtime}'")
        from picsift.models.openclip import OpenClipEmbedder

        return OpenClipEmbedder(folder, spec.model_id, device)
    if spec.backend == "transformers":
        from picsift.models.captioner import TransformersCaptioner

        options = dict(spec.options)
        if settings.captioner_runtime:
            options["runtime"] = settings.captioner_runtime
        return TransformersCaptioner(folder, spec.model_id, device, options)
    if spec.backend == "transformers_depth":
        from picsift.models.depth import TransformersDepth

        return TransformersDepth(folder, spec.model_id, device)
    if spec.backend == "transformers_segmentation":
        from picsift.models.segment import TransformersSegmenter

        return TransformersSegmenter(folder, spec.model_id, device)
    if spec.backend == "transformers_pose":
        from picsift.models.pose import TransformersPose

        return TransformersPose(folder, spec.model_id, device)
    if spec.backend == "sentence_transformers":
        from picsift.models.sentence import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(folder, spec.model_id, device)
    raise ModelUnavailableError(f"model '{spec.name}': unknown backend '{spec.backend}'")


def require_edit_extra() -> None:
    """Edits run on diffusers, an extra: say what to install rather than fail on import."""
    import importlib.util

    if importlib.util.find_spec("diffusers") is None:
        raise ModelUnavailableError(
            "edits need the edit extra, which is not installed: pip install 'picsift[edit]'"
        )


def _load_editor(method: EditMethod, folder: Path, provider: ModelProvider) -> Any:
    """An edit pipeline and the ControlNets of the structure maps it can keep."""
    from picsift.models.editor import DiffusersEditor

    controls = {name: provider.folder(spec) for name, spec in method.controls.items()}
    device = pick_device(provider.settings)
    editor = method.editor
    return DiffusersEditor(folder, editor.model_id, device, editor.options, controls)


class ModelProvider:
    def __init__(
        self,
        settings: Settings,
        preset: Preset,
        builder: Callable[[str, Path], Path] = _build_tiny,
    ) -> None:
        self._settings = settings
        self._preset = preset
        self._builder = builder
        self._lock = threading.Lock()
        self._loaded: dict[str, Any] = {}

    @property
    def preset(self) -> Preset:
        return self._preset

    @property
    def settings(self) -> Settings:
        return self._settings

    def embedder(self) -> ImageTextEmbedder:
        model: ImageTextEmbedder = self._get(self._preset.embedder)
        return model

    def captioner(self) -> Captioner:
        model: Captioner = self._get(self._preset.captioner)
        return model

    def text_embedder(self) -> TextEmbedder:
        model: TextEmbedder = self._optional(self._preset.text_embedder, "text embedder")
        return model

    def depth(self) -> DepthEstimator:
        model: DepthEstimator = self._optional(self._preset.depth, "depth model")
        return model

    def segmenter(self) -> Segmenter:
        model: Segmenter = self._optional(self._preset.segmenter, "segmenter")
        return model

    def pose(self) -> PoseEstimator:
        model: PoseEstimator = self._optional(self._preset.pose, "pose model")
        return model

    def editor(self, method: str) -> ImageEditor:
        require_edit_extra()
        found = self._preset.edits.get(method)
        if found is None:
            known = ", ".join(self._preset.edits) or "none"
            raise UnknownMethodError(
                f"unknown edit method '{method}' for preset '{self._preset.name}'; known: {known}"
            )
        model: ImageEditor = self._get(found.editor, found)
        return model

    def _optional(self, spec: ModelSpec | None, what: str) -> Any:
        """The model of a preset entry that may be absent (an older presets file)."""
        if spec is None:
            raise ModelUnavailableError(f"preset '{self._preset.name}' has no {what}")
        return self._get(spec)

    def folder(self, spec: ModelSpec) -> Path:
        """Resolve (fetching or building if needed) without loading."""
        return locate.resolve(spec, self._settings, self._builder)

    def _get(self, spec: ModelSpec, method: EditMethod | None = None) -> Any:
        with self._lock:
            model = self._loaded.get(spec.name)
            if model is None:
                folder = self.folder(spec)
                configure_threads(self._settings)
                quiet_loading()
                try:
                    if method is not None:
                        model = _load_editor(method, folder, self)
                    else:
                        model = _load(spec, folder, self._settings)
                except PicsiftError:
                    raise
                except Exception as exc:
                    raise ModelUnavailableError(
                        f"model '{spec.name}' could not be loaded from {folder}: "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
                self._loaded[spec.name] = model
            return model
