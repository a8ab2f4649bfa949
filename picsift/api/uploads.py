"""Uploaded files: a bounded read, and a file name safe to show and to store.

Their bytes are decoded only by the decode sandbox (:mod:`picsift.imaging.sandbox`).

An upload's name is chosen by the client, so it is never used as given: only its last path
component survives, reduced to a conservative character set. That one sanitised name is
used in messages and (with a unique suffix) on disk, so a name can neither escape the uploads
folder nor smuggle control characters into logs or JSON.
"""

from __future__ import annotations

import re
import unicodedata

from fastapi import UploadFile

from picsift.api.errors import ApiError

_CHUNK = 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME_CHARS = 100


def safe_name(raw: str | None, default: str = "upload") -> str:
    """Basename only, ``[A-Za-z0-9._-]``, no leading dots, at most 100 characters."""
    name = unicodedata.normalize("NFKC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip("._-")
    if len(name) > MAX_NAME_CHARS:  # keep a short extension, cut the stem
        stem, dot, suffix = name.rpartition(".")
        if dot and 0 < len(suffix) <= 10:
            name = stem[: MAX_NAME_CHARS - len(suffix) - 1] + "." + suffix
        else:
            name = name[:MAX_NAME_CHARS]
    return name or default


async def read_upload(upload: UploadFile, max_bytes: int) -> tuple[bytes, str]:
    """The upload's bytes and sanitised name; 413 as soon as it passes ``max_bytes``."""
    name = safe_name(upload.filename)
    too_large = ApiError(
        413,
        "too_large",
        f"upload '{name}' is over the limit of {max_bytes:,} bytes (PICSIFT_MAX_UPLOAD_BYTES)",
    )
    if upload.size is not None and upload.size > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    total = 0
    while chunk := await upload.read(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks), name
