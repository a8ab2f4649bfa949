"""The sandbox's wire format: length-prefixed frames of a JSON header and raw bytes.

Requests carry the file's bytes to a decode worker; replies carry the small model-ready RGB
array back. No pickle crosses the boundary in either direction: a worker has parsed hostile
bytes, so what it sends is data to validate (see :func:`parse_reply`), never code to run.
"""

from __future__ import annotations

import json
import struct
from typing import IO, Any

_PREFIX = struct.Struct(">IQ")  # header length, payload length
MAX_HEADER = 256 * 1024  # a reply's header carries a prompt (picsift.imaging.generation)


class WireError(Exception):
    """A malformed frame: the other side misbehaved."""


class WireClosed(WireError):
    """The stream ended inside a frame: the other side died."""


def write_frame(out: IO[bytes], header: dict[str, Any], payload: bytes | memoryview = b"") -> None:
    head = json.dumps(header, separators=(",", ":")).encode()
    out.write(_PREFIX.pack(len(head), len(payload)))
    out.write(head)
    if payload:
        out.write(payload)
    out.flush()


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)  # a buffered reader loops until size or end of stream
    if len(data) < size:
        raise WireClosed(f"stream ended {size - len(data)} bytes before the end of a frame")
    return data


def read_frame(stream: IO[bytes], max_payload: int) -> tuple[dict[str, Any], bytes] | None:
    """The next frame, or None at a clean end of stream; WireError if it is malformed."""
    first = stream.read(_PREFIX.size)
    if not first:
        return None
    if len(first) < _PREFIX.size:
        first += _read_exactly(stream, _PREFIX.size - len(first))
    head_len, payload_len = _PREFIX.unpack(first)
    if head_len > MAX_HEADER or payload_len > max_payload:
        raise WireError(f"frame too large ({head_len} + {payload_len} bytes)")
    try:
        header = json.loads(_read_exactly(stream, head_len))
    except ValueError as exc:
        raise WireError(f"frame header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise WireError("frame header is not an object")
    return header, _read_exactly(stream, payload_len)
