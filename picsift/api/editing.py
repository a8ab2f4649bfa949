"""The API's edits: checked when asked, run as jobs (:mod:`picsift.edit.jobs`), one at a time.

A request is checked in full before it is queued (instruction, method, maps, options, image
ids; a category becomes its members), so a bad one is refused at once with nothing queued.
Each job runs an :class:`~picsift.edit.service.EditService` on its own store connection, as an
upload does, and leaves the vector index to the server's store, which updates it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from picsift.config import Settings
from picsift.edit.jobs import EditJobs
from picsift.edit.request import EditOptions
from picsift.edit.service import EditService, SeriesItem
from picsift.errors import EditError, StoreLockedError
from picsift.imaging.sandbox import ImageDecoder
from picsift.models.provider import ModelSource
from picsift.store import Store
from picsift.store.records import EditJobRecord, VariantRecord


class Editing:
    def __init__(
        self, settings: Settings, store: Store, models: ModelSource, decoder: ImageDecoder
    ) -> None:
        self._settings = settings
        self._store = store
        self._models = models
        self._decoder = decoder
        self.jobs = EditJobs(store.edits, self._run, settings.edit_queue)

    def start(self) -> None:
        """Interrupt what a previous server left running, sweep its leftovers, start."""
        self.jobs.start()
        with suppress(StoreLockedError):  # an indexer is writing: the first edit sweeps
            self._service(self._store).recover()

    def close(self) -> None:
        self.jobs.close()

    def submit(
        self,
        image_ids: list[int],
        category: int | None,
        instruction: str,
        options: EditOptions,
    ) -> EditJobRecord:
        """Check the request and queue it (EditError, or EditBusyError when full)."""
        service = self._service(self._store)
        text, _method = service.check(instruction, options)
        if category is not None:
            image_ids = service.category_members(category)
        if not image_ids:
            raise EditError("give image_ids or a category with pictures in it")
        if len(image_ids) > self._settings.edit_max_series:
            raise EditError(f"at most {self._settings.edit_max_series} pictures per edit job")
        missing = sorted(set(image_ids) - self._store.images.existing_ids(image_ids))
        if missing:
            raise EditError(f"no image with id {', '.join(map(str, missing[:10]))}")
        request = {
            "image_ids": image_ids,
            "series": category is not None or len(image_ids) > 1,
            "instruction": text,
            "options": options.as_dict(),
        }
        return self.jobs.submit(request)

    def links(self, image_id: int) -> tuple[VariantRecord | None, list[VariantRecord]]:
        return self._service(self._store).links(image_id)

    def _service(self, store: Store) -> EditService:
        return EditService(store, self._models, self._settings, self._decoder, update_index=False)

    def _run(
        self, request: dict[str, Any], progress: Callable[[int, int], None]
    ) -> tuple[list[int], dict[str, Any]]:
        options = EditOptions.from_dict(dict(request["options"]))
        ids = [int(i) for i in request["image_ids"]]
        with Store.open(self._settings) as store:
            service = self._service(store)
            service.recover()
            if request.get("series"):
                items = service.series(ids, str(request["instruction"]), options, progress)
            else:
                result = service.edit(ids[0], str(request["instruction"]), options, progress)
                items = [SeriesItem(ids[0], result)]
        variants = [i.result.variant_id for i in items if i.result and i.result.variant_id]
        return variants, {"items": [i.as_dict() for i in items]}
