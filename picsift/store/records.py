"""The records the store ports speak in: image rows, analyses, categories and memberships.

Plain data, no storage: every implementation of the ports (SQLite and FAISS, the tests'
in-memory one) takes and returns these.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

IMAGE_SPACE = "image"  # CLIP image embeddings
CAPTION_SPACE = "caption"  # sentence embeddings of the model's captions
USER_CAPTION_SPACE = "user_caption"  # sentence embeddings of people's own captions
PROMPT_SPACE = "prompt"  # sentence embeddings of generated images' prompts
SPACES = (IMAGE_SPACE, CAPTION_SPACE, USER_CAPTION_SPACE, PROMPT_SPACE)
# the spaces computed from a text the catalog holds, with that text's column
TEXT_SPACES = (
    (CAPTION_SPACE, "caption"),
    (USER_CAPTION_SPACE, "user_caption"),
    (PROMPT_SPACE, "prompt"),
)


@dataclass(frozen=True)
class ImageRow:
    id: int
    path: str
    sha256: str | None
    size: int
    mtime_ns: int
    status: str
    width: int | None = None
    height: int | None = None
    format: str | None = None
    taken_at: str | None = None
    caption: str | None = None
    error: str | None = None
    embedder: str | None = None
    captioner: str | None = None
    user_caption: str | None = None
    prompt: str | None = None  # the prompt the file's metadata names (generated images)
    generator: str | None = None
    ai_generated: bool = False


@dataclass(frozen=True)
class Analysis:
    """What the models and decoder produced for one file, ready to commit."""

    path: str
    sha256: str
    size: int
    mtime_ns: int
    width: int
    height: int
    format: str
    taken_at: str | None
    caption: str
    embedder: str
    captioner: str
    # space -> (model id, unit vector): "image" always, "caption" when a text model ran
    vectors: dict[str, tuple[str, np.ndarray]]
    facets: str | None = None  # JSON of the facets computed at indexing time
    tags: str | None = None  # searchable words derived from the facets
    ocr_text: str | None = None  # text read in the image
    maps: dict[str, bytes] | None = None  # the structure facets' small maps, PNG bytes
    embedder_runtime: str | None = None  # what made ``vectors`` ("torch", "onnx-int8")
    captioner_runtime: str | None = None  # what ran the captioner ("torch", "bf16", ...)
    prompt: str | None = None  # what the file's metadata says made it (generated images)
    generator: str | None = None
    ai_generated: bool = False
    generation: str | None = None  # JSON: negative prompt, settings, metadata problems
    agreement: str | None = None  # JSON: how well the prompt matches the picture


UNSORTED = 0  # the id Unsorted goes by in filters and the API


@dataclass(frozen=True)
class CategoryRecord:
    """One category as a clustering run produced it."""

    id: int
    space: str
    name: str
    keywords: list[str]
    confidence: float
    size: int
    is_parent: bool = False
    parent_id: int | None = None
    centroid: np.ndarray | None = None
    join_threshold: float | None = None
    representatives: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Category:
    id: int
    name: str  # what people see: their rename if any, else the automatic name
    auto_name: str
    user_name: str | None
    keywords: list[str]
    confidence: float
    size: int
    is_parent: bool
    parent_id: int | None
    space: str
    representatives: list[int]


@dataclass(frozen=True)
class Membership:
    image_id: int
    category_id: int | None  # None: Unsorted
    probability: float = 0.0
    suggested_id: int | None = None
    suggested_similarity: float | None = None
    x: float | None = None
    y: float | None = None
    assigned_by: str = "cluster"


@dataclass(frozen=True)
class PromptRow:
    """A generated image's prompt and what else describes it, for checking one against the
    other (``tags``: the facets' words, objects included, and text read in the image)."""

    id: int
    prompt: str
    caption: str
    user_caption: str
    tags: str


@dataclass(frozen=True)
class VariantRecord:
    """An edited picture in the library, linked to the picture it was made from.

    ``original_id`` is None once the original left the library. ``scores`` holds the
    measures (structure and its parts, effect) and ``settings`` what made it (method, model,
    strength, kept maps, steps), as JSON-ready dicts."""

    image_id: int
    original_id: int | None
    instruction: str
    method: str
    seed: int
    structure: float
    effect: float
    scores: dict[str, object] = field(default_factory=dict)
    settings: dict[str, object] = field(default_factory=dict)
    created: str = ""


@dataclass(frozen=True)
class EditJobRecord:
    """A queued or finished edit job: its request as given and what came of it."""

    id: str
    status: str  # queued | running | done | failed | interrupted
    request: dict[str, object]
    done: int = 0
    total: int = 0
    variant_ids: tuple[int, ...] = ()
    result: dict[str, object] = field(default_factory=dict)
    error: str | None = None
    created: str = ""
    updated: str = ""
