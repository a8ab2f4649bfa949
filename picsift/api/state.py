"""Everything one running API shares, built at start-up and closed at shutdown.

It lives in one :class:`AppState` on ``app.state`` (never in module globals), so two apps in
one process (tests) stay independent, and routes reach it only through the dependency
functions in :mod:`picsift.api.deps`, which tests can override.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from picsift.api.describing import Describer
from picsift.api.editing import Editing
from picsift.api.images import Images
from picsift.api.ingest import Ingest
from picsift.api.searching import ApiSearch
from picsift.api.thumbnails import Thumbnails
from picsift.api.watching import Watching
from picsift.api.workers import WorkerPool
from picsift.config import Settings
from picsift.describe.service import DescribeService
from picsift.imaging.sandbox import DecodeSandbox
from picsift.library.models import choose_preset
from picsift.library.service import LibraryService
from picsift.metadata.export import Exporter, exiftool_for_xmp
from picsift.models.base import (
    Captioner,
    DepthEstimator,
    ImageTextEmbedder,
    PoseEstimator,
    Segmenter,
    TextEmbedder,
)
from picsift.models.edit_base import ImageEditor
from picsift.models.presets import Preset
from picsift.models.provider import ModelProvider, ModelSource
from picsift.prompts.service import PromptService
from picsift.search import SearchService
from picsift.store import Store


class TrackedModels:
    """A ModelSource that remembers which models have been handed out (hence are loaded).

    ``/health`` reports ``models_loaded`` from this, without reaching into a provider's
    internals; with lazy loading it turns true once the last model was first used.
    """

    def __init__(self, inner: ModelSource) -> None:
        self._inner = inner
        self._ready: set[str] = set()
        self._lock = threading.Lock()

    @property
    def preset(self) -> Preset:
        return self._inner.preset

    def _mark(self, kind: str) -> None:
        with self._lock:
            self._ready.add(kind)

    def embedder(self) -> ImageTextEmbedder:
        model = self._inner.embedder()
        self._mark("embedder")
        return model

    def captioner(self) -> Captioner:
        model = self._inner.captioner()
        self._mark("captioner")
        return model

    def text_embedder(self) -> TextEmbedder:
        model = self._inner.text_embedder()
        self._mark("text_embedder")
        return model

    def depth(self) -> DepthEstimator:
        """Loaded on first use only: the depth facet is opt-in."""
        model = self._inner.depth()
        self._mark("depth")
        return model

    def segmenter(self) -> Segmenter:
        """Loaded on first use only: the regions facet is opt-in."""
        model = self._inner.segmenter()
        self._mark("segmenter")
        return model

    def pose(self) -> PoseEstimator:
        """Loaded on first use only: the people facet is opt-in."""
        model = self._inner.pose()
        self._mark("pose")
        return model

    def editor(self, method: str) -> ImageEditor:
        """Loaded on first use only: edits are opt-in."""
        model = self._inner.editor(method)
        self._mark(f"editor:{method}")
        return model

    @property
    def needed(self) -> set[str]:
        kinds = {"embedder", "captioner"}
        if self.preset.text_embedder is not None:
            kinds.add("text_embedder")
        return kinds

    @property
    def loaded(self) -> bool:
        with self._lock:
            return self.needed <= self._ready

    def preload(self) -> None:
        """Load every model now; raises ModelUnavailableError naming the first one missing."""
        self.embedder()
        self.captioner()
        if "text_embedder" in self.needed:
            self.text_embedder()


@dataclass
class AppState:
    settings: Settings
    store: Store
    models: TrackedModels
    pool: WorkerPool
    images: Images
    search: ApiSearch
    describer: Describer
    ingest: Ingest
    decoder: DecodeSandbox
    library: LibraryService
    editing: Editing
    prompts: PromptService
    exporter: Exporter
    watching: Watching

    def close(self) -> None:
        self.watching.close()
        self.editing.close()
        self.pool.shutdown()
        self.decoder.close()
        self.store.close()


def open_state(settings: Settings, models: ModelSource | None = None) -> AppState:
    """Open the store and wire the services (blocking: call it off the event loop).

    Without ``models`` a ModelProvider is built for the preset asked for (``settings.preset``
    when set), else the one the store was indexed with; it loads nothing yet.
    """
    store = Store.open(settings)
    try:
        if models is None:
            models = ModelProvider(settings, choose_preset(settings, None, store))
    except BaseException:
        store.close()
        raise
    tracked = TrackedModels(models)
    # One pool of bounded decode workers for every upload, example, fetch and thumbnail.
    decoder = DecodeSandbox(settings)
    try:
        images = Images(store, Thumbnails(settings.home / "thumbnails", settings, decoder))
        search = SearchService(store, tracked, settings, decoder)
        return AppState(
            settings=settings,
            store=store,
            models=tracked,
            pool=WorkerPool(settings.api_workers, settings.api_queue, settings.api_deadline),
            images=images,
            search=ApiSearch(search, images, settings, tracked.preset.meaningless, decoder),
            describer=Describer(tracked, settings, decoder),
            ingest=Ingest(settings, tracked, decoder),
            decoder=decoder,
            library=LibraryService(store),
            editing=Editing(settings, store, tracked, decoder),
            prompts=PromptService(store),
            exporter=Exporter(
                store, DescribeService(tracked, settings, decoder=decoder), exiftool_for_xmp()
            ),
            watching=Watching(settings, tracked, decoder),
        )
    except BaseException:
        decoder.close()
        store.close()
        raise
