"""Errors that reach a person as one clear sentence.

Every error picsift raises on purpose derives from :class:`PicsiftError`; the CLI and the
API turn these into a message (and an exit or HTTP code) instead of a stack trace. Anything
else escaping is a bug.
"""

from __future__ import annotations

from pathlib import Path


class PicsiftError(Exception):
    """Base class: the message is written for the user, not the developer."""


class ModelUnavailableError(PicsiftError):
    """Weights for a model could not be found or fetched."""


class ImageError(PicsiftError):
    """An input could not be used as an image; names the input and the reason."""

    def __init__(self, source: str | Path, reason: str, *, transient: bool = False) -> None:
        self.source = str(source)
        self.reason = reason
        self.transient = transient  # worth retrying later; says nothing about the file itself
        super().__init__(f"{self.source}: {reason}")


class UnsupportedImageError(ImageError):
    """The input is not in a format picsift accepts (HTTP 415); refused before decoding."""


class StoreError(PicsiftError):
    """The on-disk store cannot be opened or written as asked."""


class StoreLockedError(StoreError):
    """Another process holds the store's writer lock."""


class ModelMismatchError(StoreError):
    """The store was filled by a different model than the one asked for."""


class PresetError(PicsiftError):
    """A model preset name or definition is invalid."""


class EditError(PicsiftError):
    """An edit cannot be done as asked (empty instruction, unknown image, changed file, ...);
    nothing was changed."""


class UnknownMethodError(EditError):
    """The preset has no edit method of that name."""


class EditBusyError(EditError):
    """The edit queue is full; ``retry_after`` seconds is a fair wait."""

    def __init__(self, message: str, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(message)
