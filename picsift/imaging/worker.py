"""A decode worker: one process that turns untrusted bytes into small RGB arrays, in bounds.

Run by :class:`~picsift.imaging.sandbox.DecodeSandbox` as
``python -m picsift.imaging.worker --memory BYTES [--decoder module:function]``. It caps its
own address space first (RLIMIT_AS), then answers requests on stdin/stdout one at a time
until stdin closes. It imports only Pillow, NumPy and the decoder, so it starts in about a
tenth of a second and stays warm for the next request.

A decode that runs out of memory is reported as such and the worker exits, so the parent
starts a fresh one; a decoder that crashes the process or hangs is killed by the parent.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import resource
import signal
import sys
from collections.abc import Callable
from typing import IO, Any

from picsift.errors import ImageError, UnsupportedImageError
from picsift.imaging.wire import read_frame, write_frame

DEFAULT_DECODER = "picsift.imaging.decode:decode_image"
EXIT_OUT_OF_MEMORY = 3


def load_decoder(reference: str) -> Callable[..., Any]:
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def _limit_memory(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file behind


def _protocol_streams() -> tuple[IO[bytes], IO[bytes]]:
    """stdin and a private copy of stdout; fd 1 then points at stderr, so a library that
    prints cannot corrupt a reply."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    return sys.stdin.buffer, out


def _reply(out: IO[bytes], decoded: Any) -> None:
    image = decoded.image if decoded.image.mode == "RGB" else decoded.image.convert("RGB")
    width, height = image.size
    header = {
        "ok": True,
        "shape": [height, width],
        "width": decoded.width,
        "height": decoded.height,
        "format": decoded.format,
        "taken_at": decoded.taken_at,
        "generation": decoded.generation.wire(),
    }
    write_frame(out, header, image.tobytes())


def serve(
    decoder: Callable[..., Any], stdin: IO[bytes], out: IO[bytes], max_input: int, timeout: float
) -> int:
    """Answer requests until stdin closes (exit 0) or memory runs out (exit 3).

    Each decode also arms an alarm a little past the parent's deadline: the parent kills a
    worker that overruns, and should the parent be gone, SIGALRM ends the worker anyway.
    """
    alarm = math.ceil(timeout) + 5
    write_frame(out, {"ready": True, "pid": os.getpid()})
    while True:
        frame = read_frame(stdin, max_input)
        if frame is None:
            return 0
        request, data = frame
        source = str(request.get("source", "image"))
        signal.alarm(alarm)
        try:
            decoded = decoder(
                data,
                source,
                max_pixels=int(request["max_pixels"]),
                max_side=int(request["max_side"]),
                formats=tuple(request["formats"]),
            )
            del data
            _reply(out, decoded)
        except MemoryError:
            write_frame(out, {"ok": False, "memory": True, "reason": "out of memory"})
            return EXIT_OUT_OF_MEMORY
        except ImageError as exc:
            unsupported = isinstance(exc, UnsupportedImageError)
            write_frame(
                out,
                {"ok": False, "reason": exc.reason, "unsupported": unsupported},
            )
        except Exception as exc:  # a decoder bug is this input's error, not the worker's end
            reason = f"unexpected decoder failure: {type(exc).__name__}: {exc}"
            write_frame(out, {"ok": False, "reason": reason[:2000]})
        finally:
            signal.alarm(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m picsift.imaging.worker")
    parser.add_argument("--memory", type=int, required=True, help="address-space cap, bytes")
    parser.add_argument("--max-input", type=int, required=True, help="largest request, bytes")
    parser.add_argument("--timeout", type=float, required=True, help="seconds per decode")
    parser.add_argument("--decoder", default=DEFAULT_DECODER, help="module:function")
    args = parser.parse_args(argv)
    decoder = load_decoder(args.decoder)
    stdin, out = _protocol_streams()
    _limit_memory(args.memory)
    return serve(decoder, stdin, out, args.max_input, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
