"""One typed settings object for the whole process.

All state lives under ``home`` (``PICSIFT_HOME``), so pointing that one variable elsewhere
moves the catalog, the vector indexes and the downloaded models together. Every other
setting can come from the environment (``PICSIFT_<NAME>``) or be passed explicitly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from platformdirs import user_data_dir
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from picsift.imaging.formats import DEFAULT_FORMATS, check_allowed

# Lists read from the environment as "a,b,c" (JSON lists work too).
CommaList = Annotated[list[str], NoDecode]


def _default_home() -> Path:
    return Path(user_data_dir("picsift", appauthor=False))


class Settings(BaseSettings):
    """Process-wide configuration; built once at the edge (CLI, API) and passed down."""

    model_config = SettingsConfigDict(env_prefix="PICSIFT_", extra="ignore")

    @field_validator("image_formats")
    @classmethod
    def _known_formats(cls, value: list[str]) -> list[str]:
        return list(check_allowed(value))

    @field_validator("words_length_ramp")
    @classmethod
    def _rising_ramp(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not 0 <= value[0] < value[1]:
            raise ValueError("words_length_ramp must be two numbers, 0 <= first < second")
        return value

    @model_validator(mode="after")
    def _read_key_needs_admin_key(self) -> Settings:
        if self.api_read_key and not self.api_key:
            raise ValueError("PICSIFT_API_READ_KEY needs PICSIFT_API_KEY (the admin key) too")
        if self.api_read_key and self.api_read_key == self.api_key:
            raise ValueError("PICSIFT_API_READ_KEY must differ from PICSIFT_API_KEY")
        return self

    @field_validator(
        "describe_facets",
        "index_facets",
        "tag_vocabularies",
        "cors_origins",
        "fetch_allow",
        "image_formats",
        mode="before",
    )
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    home: Path = Field(default_factory=_default_home, description="Directory holding all state.")
    models_dir: Path | None = Field(
        default=None,
        description="Where model folders live; defaults to HOME/models. Air-gapped users copy "
        "folders made by `picsift models pull` here.",
    )
    preset: str = Field(default="default", description="Model preset used when none is given.")
    allow_download: bool = Field(
        default=True, description="Fetch missing weights from the Hugging Face hub on first use."
    )
    device: str = Field(default="auto", description="'auto', 'cpu' or 'cuda'.")
    embedder_runtime: str | None = Field(
        default=None,
        pattern="^(torch|onnx|onnx-int8)$",
        description="CLIP forward passes: torch (eager, the reference), onnx or onnx-int8 "
        "(after `picsift models export PRESET [--int8]`); default: the preset's option.",
    )
    captioner_runtime: str | None = Field(
        default=None,
        pattern="^(torch|int8|bf16|bf16-compile)$",
        description="Captioner forward passes: torch (fp32, the reference), bf16 (bfloat16; "
        "fast on CPUs with AMX or AVX512-BF16), bf16-compile (bf16 with the vision encoder "
        "through torch.compile: about a minute of compiling per process, for long indexing "
        "runs) or int8 (dynamic quantisation of the Linear layers, CPU); default: the "
        "preset's option.",
    )
    threads: int = Field(default=0, ge=0, description="Torch intra-op threads; 0 = all cores.")
    batch_size: int = Field(default=8, ge=1, le=512)
    decode_workers: int = Field(
        default=0, ge=0, description="Decoding threads and worker processes; 0 = cores, up to 4."
    )
    image_formats: CommaList = Field(
        default=list(DEFAULT_FORMATS),
        description="Image formats accepted, told by the file's signature, never its name: "
        "anything else is refused before a decoder sees it (415). Default: JPEG, PNG, WEBP, "
        "GIF, TIFF, BMP, HEIF (HEIC, via pi-heif) and AVIF (Pillow's plugin). EPS, PDF "
        "and WMF can never be added.",
    )
    decode_memory_mb: int = Field(
        default=1536,
        ge=128,
        description="Address space one decode worker process may use; a decode needing more "
        "is refused with that reason and the worker replaced.",
    )
    decode_timeout: float = Field(
        default=15.0,
        gt=0.0,
        le=600.0,
        description="Seconds one image may take to decode before its worker is killed.",
    )
    max_image_pixels: int = Field(
        default=178_956_970,
        ge=1,
        description="Decompression-bomb guard: images decoding to more pixels are refused.",
    )
    max_side: int = Field(
        default=1024, ge=64, description="Longest side images are downscaled to before models."
    )
    max_file_bytes: int = Field(
        default=256 * 1024 * 1024, ge=1, description="Files larger than this are refused."
    )
    search_weights: dict[str, float] = Field(
        default={"clip": 1.0, "caption": 1.0, "words": 1.0},
        description="Fusion weight per channel (clip, caption, words); the words default "
        "comes from measurement on a tuning split (bench/tune_fusion.py).",
    )
    search_fusion: Literal["scores", "rrf"] = Field(
        default="scores",
        description="How channels are fused: 'scores' (weighted sum of scores normalised per "
        "query) or 'rrf' (weighted reciprocal rank fusion).",
    )
    words_length_ramp: tuple[float, float] = Field(
        default=(0.6, 0.8),
        description="The words channel's weight falls from full to zero as a query's length "
        "goes from the first to the second fraction of the library's mean caption length "
        "(a query as long as the captions is a description; [9, 10] turns this off).",
    )
    watch: list[Path] = Field(
        default_factory=list,
        description="Folders the server indexes as files land in them (picsift serve --watch).",
    )
    watch_debounce: float = Field(
        default=2.0,
        gt=0.0,
        le=600.0,
        description="Seconds a file must be left alone before a watcher indexes it.",
    )
    prompt_weight: float = Field(
        default=0.25,
        ge=0.0,
        le=1.0,
        description="How much a word of a generated image's prompt counts in the words "
        "channel, against one in a caption (prompts often name what the picture lacks); "
        "chosen on a tuning set by bench/tune_prompt_weight.py.",
    )
    prompt_caption_weight: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="The caption channel's factor on a prompt's similarity to the query (an "
        "image keeps its best of caption and prompt). 0, as measured by "
        "bench/tune_prompt_weight.py: no weight above 0 helped on the tuning set.",
    )
    prompt_support: float = Field(
        default=0.75,
        gt=0.0,
        lt=1.0,
        description="A prompt's phrase counts as shown when the picture suits it better than "
        "this share of the library's pictures (or a caption, tag or object names it).",
    )
    words_coverage_power: float = Field(
        default=3.0,
        ge=0.0,
        description="A words hit counts (IDF-weighted share of query words it holds) ** this.",
    )
    search_cutoff: float = Field(
        default=0.5,
        ge=0.0,
        lt=1.0,
        description="Drop hits scoring below cutoff x the query's best in every channel "
        "(0 keeps all).",
    )
    describe_facets: CommaList | None = Field(
        default=None,
        description="What a description holds by default: 'caption' and facet names "
        "(picsift facets --help lists them); unset = the caption and each facet's default.",
    )
    describe_template: str = Field(
        default="paragraph",
        description="How a description reads by default: a template in data/templates or "
        "HOME/templates (paragraph, alt, alt-ru, alt-de, tags, seo, markdown, json).",
    )
    index_facets: CommaList | None = Field(
        default=None,
        description="Facets computed for every image at indexing time and made searchable; "
        "unset = each facet's default (the cheap ones and tags). Add 'text' to read text in "
        "images (OCR, about 0.5 s per image on 2 cores) and 'objects' for object boxes "
        "(Florence-2; about as slow as captioning).",
    )
    tag_vocabularies: CommaList = Field(
        default=[],
        description="Vocabularies (file names without .txt in data/vocabularies or "
        "HOME/vocabularies) that tags come from; empty = every one not marked 'tagging = off'.",
    )
    max_tags: int = Field(default=10, ge=0, le=100, description="Tags kept per image.")
    auto_cluster: bool = Field(
        default=False,
        description="Re-cluster after every index run that added images (once categories exist);"
        " otherwise new images join their nearest category.",
    )
    cluster_space: str = Field(default="images", pattern="^(images|captions)$")
    query_cache_size: int = Field(
        default=256, ge=0, description="Query text vectors kept per search service (0 = off)."
    )
    rrf_k: int = Field(default=60, ge=1, description="Rank offset of reciprocal rank fusion.")
    duplicate_threshold: float = Field(
        default=0.97,
        gt=0.0,
        le=1.0,
        description="CLIP cosine above which hits are near-duplicates.",
    )
    preload_models: bool = Field(
        default=True,
        description="API: load every model at start-up, so a missing model stops the server "
        "at once and the first request is not slow.",
    )
    api_workers: int = Field(
        default=2,
        ge=1,
        le=64,
        description="API: threads running inference, search, decoding and SQLite work.",
    )
    api_queue: int = Field(
        default=256,
        ge=0,
        le=10_000,
        description="API: the most requests that may wait for a worker (a memory bound); "
        "before that, api_deadline decides.",
    )
    api_deadline: float = Field(
        default=2.0,
        gt=0.0,
        le=600.0,
        description="API: a request whose predicted wait for a worker (the requests ahead "
        "times the measured time per request) passes this many seconds gets 503 at once, "
        "with Retry-After.",
    )
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1, description="API: uploads larger than this get 413."
    )
    api_key: str | None = Field(
        default=None,
        description="API: when set (non-empty), every route but /health needs the header "
        "X-API-Key with this value (or api_read_key's); the admin key.",
    )
    api_read_key: str | None = Field(
        default=None,
        description="API: a second key that may search, browse and describe but not change "
        "the library (add images, store descriptions, rename categories: 403). Needs api_key.",
    )
    fetch_urls: bool = Field(
        default=False,
        description="API: let POST /describe fetch image_url (http/https, public addresses "
        "only unless allowed, same-host redirects, upload size limit).",
    )
    fetch_allow: CommaList = Field(
        default=[],
        description="API: hosts or networks (CIDR) image_url may reach even though they are "
        "private, loopback or link-local, e.g. 10.0.0.0/8,images.local.",
    )
    fetch_timeout: float = Field(
        default=10.0, gt=0.0, le=300.0, description="API: seconds one image_url fetch may take."
    )
    index_approximate_above: int = Field(
        default=50_000,
        ge=0,
        description="Vector indexes are exact (flat) up to this many vectors; above, an IVF "
        "index trained on a sample (see docs/architecture.md, 'Vector indexes').",
    )
    index_compress_above: int = Field(
        default=1_000_000,
        ge=0,
        description="Above this many vectors the IVF index keeps 4-bit PQ codes (64 bytes per "
        "512-d vector) and re-ranks a short list exactly from the stored vectors; 0 compresses "
        "every IVF index.",
    )
    index_nprobe: int = Field(
        default=0, ge=0, description="IVF lists scanned per query; 0 = max(16, lists / 64)."
    )
    index_rerank: int = Field(
        default=3000,
        ge=1,
        description="Compressed index: candidates re-ranked exactly per query (at least 10 x "
        "the results asked for).",
    )
    index_retrain_growth: float = Field(
        default=2.0,
        gt=1.0,
        description="An IVF index is updated in place (new vectors added, deleted ones "
        "removed) until the space outgrows this multiple of the size it was trained at; then "
        "it is retrained.",
    )
    edit_structure_threshold: float = Field(
        default=0.77,
        ge=0.0,
        le=1.0,
        description="Edits: a variant whose structure score (edge F-score and depth "
        "correlation against the original, 0..1) is below this is not kept without --force "
        "(chosen on real photos: bench/calibrate_structure.py).",
    )
    edit_queue: int = Field(
        default=4,
        ge=0,
        le=1000,
        description="API: edit jobs allowed to wait behind the running one; beyond that POST "
        "/edit answers 503 with Retry-After.",
    )
    edit_max_candidates: int = Field(
        default=8, ge=1, le=64, description="Edits: the most candidates one edit may try."
    )
    edit_max_series: int = Field(
        default=500, ge=1, description="Edits: the most pictures one series may change."
    )
    cors_origins: CommaList = Field(
        default=[],
        description='API: browser origins allowed by CORS (JSON list, e.g. ["http://x:3000"]); '
        "empty: no CORS headers.",
    )

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir if self.models_dir is not None else self.home / "models"

    @property
    def resolved_threads(self) -> int:
        return self.threads or (os.cpu_count() or 1)

    @property
    def resolved_decode_workers(self) -> int:
        return self.decode_workers or min(4, os.cpu_count() or 1)
