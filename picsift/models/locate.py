"""Find a model's weights on disk, or fetch them once, and say clearly when neither works.

Everything is resolved to a local folder with the published file layout, and the backends
only ever load from a folder. So real weights (downloaded, copied in by an air-gapped user,
or already in the Hugging Face cache) and the locally built tiny models take one path.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from picsift.config import Settings
from picsift.errors import ModelUnavailableError
from picsift.models.presets import ModelSpec

# Files a folder must hold before a backend can load from it.
_REQUIRED: dict[str, tuple[str, ...]] = {
    "open_clip": ("open_clip_config.json",),
    "transformers": ("config.json",),
    "sentence_transformers": ("modules.json",),
    "diffusers": ("model_index.json",),
    "diffusers_controlnet": ("config.json",),
}
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pth")
# What to fetch from the hub: only the files that backend loads (repos often hold several
# copies of the weights in different formats).
_DOWNLOAD_PATTERNS: dict[str, list[str]] = {
    # + the tokenizer files some repos ship beside the weights (SigLIP's Gemma tokenizer)
    "open_clip": [
        "open_clip_config.json",
        "open_clip_model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
    ],
    "transformers": ["*.json", "*.safetensors", "*.txt", "*.model"],
    "sentence_transformers": ["*.json", "*.safetensors", "*.txt", "1_Pooling/*"],
    # a pipeline's components in full precision (repos also hold fp16, EMA and .ckpt copies);
    # the safety checker is not loaded (README "Edits")
    "diffusers": [
        "model_index.json",
        "scheduler/*.json",
        "tokenizer/*",
        "text_encoder/config.json",
        "text_encoder/model.safetensors",
        "unet/config.json",
        "unet/diffusion_pytorch_model.safetensors",
        "vae/config.json",
        "vae/diffusion_pytorch_model.safetensors",
    ],
    "diffusers_controlnet": ["config.json", "diffusion_pytorch_model.safetensors"],
}

Builder = Callable[[str, Path], Path]


def is_complete(folder: Path, spec: ModelSpec) -> bool:
    """A folder counts only if its config and at least one weights file are there."""
    if not folder.is_dir():
        return False
    if not all((folder / name).is_file() for name in _REQUIRED.get(spec.backend, ())):
        return False
    if spec.backend == "diffusers":  # a pipeline: every component's weights in its folder
        return all(
            any(p.suffix in _WEIGHT_SUFFIXES for p in (folder / part).glob("*"))
            for part in ("unet", "vae", "text_encoder")
        )
    return any(p.suffix in _WEIGHT_SUFFIXES for p in folder.iterdir())


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}


def _package_folder(ref: str) -> Path | None:
    """``pkg/sub/dir`` -> that folder inside the installed package, if the package is there."""
    import importlib.util

    package, _, sub = ref.partition("/")
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        return None
    return Path(next(iter(found.submodule_search_locations))) / sub


def hf_cache_folder(spec: ModelSpec) -> Path | None:
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(spec.repo, revision=spec.revision, local_files_only=True))
    except Exception:
        return None


def download(spec: ModelSpec, target: Path) -> Path:
    """Fetch the model's files from the hub into ``target`` (resumable)."""
    from huggingface_hub import snapshot_download

    try:
        snapshot_download(
            spec.repo,
            revision=spec.revision,
            local_dir=target,
            allow_patterns=_DOWNLOAD_PATTERNS.get(spec.backend),
        )
        if spec.backend == "open_clip":
            _complete_open_clip(spec, target)
    except Exception as exc:
        raise ModelUnavailableError(
            f"could not download model '{spec.name}' ({spec.repo}) from the Hugging Face hub: "
            f"{exc}. {how_to_provide(spec, target)}"
        ) from None
    if not is_complete(target, spec):
        raise ModelUnavailableError(
            f"download of '{spec.name}' ({spec.repo}) into {target} is incomplete."
        )
    return target


def _complete_open_clip(spec: ModelSpec, target: Path) -> None:
    """What some open_clip repos leave out: older ones hold only ``.bin`` weights and no
    config (open_clip knows the architecture by name), and a Hugging Face text tower needs
    its own config and tokenizer (``options.text_repo``) beside the weights."""
    from huggingface_hub import snapshot_download

    if not any(p.suffix in _WEIGHT_SUFFIXES for p in target.iterdir()):
        snapshot_download(
            spec.repo,
            revision=spec.revision,
            local_dir=target,
            allow_patterns=["open_clip_pytorch_model.bin"],
        )
    config = target / "open_clip_config.json"
    if not config.is_file() and spec.architecture:
        import json

        import open_clip

        model_cfg = open_clip.get_model_config(spec.architecture)
        if model_cfg is None:
            raise ModelUnavailableError(f"open_clip has no architecture '{spec.architecture}'")
        config.write_text(json.dumps({"model_cfg": model_cfg}, indent=2) + "\n")
    text_repo = spec.options.get("text_repo")
    if text_repo:
        snapshot_download(str(text_repo), local_dir=target, allow_patterns=_TEXT_TOWER_FILES)


# A Hugging Face text tower's files an open_clip model folder needs beside its weights.
_TEXT_TOWER_FILES = [
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "sentencepiece.bpe.model",
]


def how_to_provide(spec: ModelSpec, target: Path) -> str:
    return (
        f"To provide it: run `picsift models pull {spec.name}` on a machine with network and "
        f"copy the folder to {target} (or set PICSIFT_MODELS_DIR to the folder holding it), "
        f"or try the product with `--models tiny` (random weights, meaningless output)."
    )


@contextmanager
def _models_dir_lock(models_dir: Path) -> Iterator[None]:
    """Serialise builds and downloads between processes sharing one models directory."""
    models_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(models_dir / ".fetch.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def resolve(spec: ModelSpec, settings: Settings, builder: Builder | None = None) -> Path:
    """Return a local folder holding ``spec``'s weights, fetching or building it if allowed.

    Order: an explicit ``path`` in the preset, the models directory, the Hugging Face cache,
    then (for ``build`` models) a local build or (for hub models) a download.
    """
    target = settings.resolved_models_dir / spec.folder_name
    looked: list[str] = []
    candidates = [Path(spec.path).expanduser()] if spec.path else []
    if spec.package:
        packaged = _package_folder(spec.package)
        if packaged is not None:
            candidates.append(packaged)
    candidates.append(target)
    for folder in candidates:
        looked.append(str(folder))
        if is_complete(folder, spec):
            return folder
    if spec.build:
        if builder is None:
            raise ModelUnavailableError(f"model '{spec.name}' must be built locally: no builder")
        with _models_dir_lock(settings.resolved_models_dir):
            if is_complete(target, spec):  # another process built it while we waited
                return target
            return builder(spec.name, target)
    cached = hf_cache_folder(spec)
    looked.append(f"the Hugging Face cache ({spec.repo})")
    if cached is not None and is_complete(cached, spec):
        return cached
    if settings.allow_download and not _hub_offline():
        with _models_dir_lock(settings.resolved_models_dir):
            return download(spec, target)
    reason = (
        "downloads are off (PICSIFT_ALLOW_DOWNLOAD=0)"
        if not settings.allow_download
        else "the hub is offline (HF_HUB_OFFLINE=1)"
    )
    raise ModelUnavailableError(
        f"weights for model '{spec.name}' ({spec.repo}) were not found and {reason}. "
        f"Looked in: {'; '.join(looked)}. {how_to_provide(spec, target)}"
    )
