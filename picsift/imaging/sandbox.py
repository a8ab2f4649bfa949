"""Decoding untrusted bytes in a small pool of bounded worker processes.

A Pillow plugin runs C code over whatever bytes a user sends; some formats allocate gigabytes
from a few hundred kilobytes, and a bug can crash or hang. In the picsift process that would
take the server, and every client with it, down. So every untrusted image is decoded in a
worker process (:mod:`picsift.imaging.worker`) that:

* caps its own address space (``decode_memory_mb``; RLIMIT_AS): a decode that needs more
  fails there with "needs more than 1.5 GB to decode";
* is killed when one decode takes longer than ``decode_timeout`` seconds (and kills itself
  with an alarm shortly after, should this process be gone);
* is replaced after a crash, a kill or running out of memory, so the next input finds a
  warm worker and the run or the server carries on.

Workers are started on first use and reused: a request costs one pipe round trip, bytes in
and the small model-ready RGB array out (never the full-size image, and never a pickle). The
format allow-list is checked here first, so refused formats never reach a worker at all.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import signal
import subprocess
import sys
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

from picsift.errors import ImageError, UnsupportedImageError
from picsift.imaging.decode import DecodedImage, check_format
from picsift.imaging.generation import Generation
from picsift.imaging.wire import WireClosed, WireError, read_frame, write_frame
from picsift.imaging.worker import DEFAULT_DECODER, EXIT_OUT_OF_MEMORY

_STARTUP_SECONDS = 30.0  # a cold interpreter on a loaded machine, not a decode
_PIPE_BYTES = 1 << 20


class DecodeSettings(Protocol):
    """The settings a sandbox reads (``picsift.config.Settings`` has them all; imaging does
    not import the settings module, which depends on it)."""

    image_formats: list[str]
    max_image_pixels: int
    max_side: int
    decode_memory_mb: int
    decode_timeout: float
    max_file_bytes: int
    max_upload_bytes: int

    @property
    def resolved_decode_workers(self) -> int: ...


class ImageDecoder(Protocol):
    """Turns an input's bytes into a model-ready image; raises ImageError naming ``source``."""

    def decode(
        self, data: bytes, source: str | Path, *, max_side: int | None = None
    ) -> DecodedImage: ...


@dataclass(frozen=True)
class Limits:
    """What one decode may use; from the settings."""

    formats: tuple[str, ...]
    max_pixels: int
    max_side: int
    memory_bytes: int
    timeout: float
    max_input: int

    @classmethod
    def of(cls, settings: DecodeSettings) -> Limits:
        return cls(
            formats=tuple(settings.image_formats),
            max_pixels=settings.max_image_pixels,
            max_side=settings.max_side,
            memory_bytes=settings.decode_memory_mb * 1024 * 1024,
            timeout=settings.decode_timeout,
            max_input=max(settings.max_file_bytes, settings.max_upload_bytes),
        )

    def memory_reason(self) -> str:
        mb = self.memory_bytes / (1024 * 1024)
        amount = f"{mb / 1024:g} GB" if mb >= 1024 else f"{mb:g} MB"
        return f"needs more than {amount} to decode (PICSIFT_DECODE_MEMORY_MB)"


class _Died(Exception):
    """The worker ended mid-request; ``reason`` says how, for the input's error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Worker:
    """One worker process and its pipes; used by one thread at a time."""

    def __init__(self, command: list[str], env: dict[str, str], limits: Limits) -> None:
        self._limits = limits
        self.expired = False
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
            start_new_session=True,  # Ctrl-C in a terminal reaches picsift, not its workers
        )
        _widen_pipes(self.proc)
        hello = self._exchange(None, b"", _STARTUP_SECONDS)
        if not hello.get("ready"):
            self.stop()
            raise _Died("the decode worker did not start")

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None and not self.expired

    def request(self, header: dict[str, Any], data: bytes) -> tuple[dict[str, Any], bytes]:
        reply = self._exchange(header, data, self._limits.timeout)
        return reply, self._payload

    def _exchange(
        self, header: dict[str, Any] | None, data: bytes, timeout: float
    ) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        timer = threading.Timer(timeout, self._expire)
        timer.daemon = True
        timer.start()
        try:
            if header is not None:
                write_frame(self.proc.stdin, header, data)
            limit = self._limits.max_side**2 * 3 + 1024
            frame = read_frame(self.proc.stdout, limit)
        except (OSError, ValueError, WireClosed):
            frame = None
        except WireError:
            self.stop()
            raise _Died("the decoder sent a malformed reply") from None
        finally:
            timer.cancel()
        if frame is None:
            raise _Died(self._death_reason(timeout))
        reply, self._payload = frame
        if reply.get("memory"):  # the worker exits after this answer: never reuse it
            self.expired = True
        return reply

    def _expire(self) -> None:
        self.expired = True
        self.proc.kill()

    def _death_reason(self, timeout: float) -> str:
        self.stop()
        code = self.proc.returncode
        if self.expired:
            return f"took longer than {timeout:g} s to decode (PICSIFT_DECODE_TIMEOUT)"
        if code == EXIT_OUT_OF_MEMORY:
            return self._limits.memory_reason()
        if code is not None and code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            if -code == signal.SIGKILL:
                return f"the decoder was killed ({name}); it may need too much memory"
            return f"the decoder crashed on it ({name})"
        return f"the decoder stopped unexpectedly (exit status {code})"

    def stop(self) -> None:
        """End the process (politely if idle, by force if not) and reap it."""
        if self.proc.poll() is None:
            try:
                if self.proc.stdin is not None:
                    self.proc.stdin.close()  # an idle worker exits on end of input
                self.proc.wait(timeout=0.5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _widen_pipes(proc: subprocess.Popen[bytes]) -> None:
    """Pipes of 1 MiB instead of 64 KiB: a reply crosses in a few writes, not dozens of
    context switches (best effort; Linux only)."""
    for stream in (proc.stdin, proc.stdout):
        if stream is not None and hasattr(fcntl, "F_SETPIPE_SZ"):
            with contextlib.suppress(OSError):
                fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


def _stop_all(workers: set[_Worker]) -> None:
    for worker in list(workers):
        worker.stop()
    workers.clear()


class DecodeSandbox:
    """A pool of decode workers, started lazily and reused; safe to share between threads.

    ``decoder`` names the function the workers run (``module:function``, the signature of
    :func:`~picsift.imaging.decode.decode_image`): the seam through which tests put in a
    slow or crashing decoder. Close it (or use it as a context manager) to end the workers;
    they also end when it is garbage-collected or when this process exits.
    """

    def __init__(
        self,
        settings: DecodeSettings,
        *,
        decoder: str = DEFAULT_DECODER,
        workers: int | None = None,
    ) -> None:
        self.limits = Limits.of(settings)
        size = workers or settings.resolved_decode_workers
        self._command = [
            sys.executable,
            "-m",
            "picsift.imaging.worker",
            "--memory",
            str(self.limits.memory_bytes),
            "--max-input",
            str(self.limits.max_input),
            "--timeout",
            str(self.limits.timeout),
            "--decoder",
            decoder,
        ]
        self._env = _worker_env()
        # Free slots: a warm worker, or None for one not started yet. LIFO keeps the warmest.
        self._slots: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        for _ in range(size):
            self._slots.put(None)
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._finalizer = weakref.finalize(self, _stop_all, self._workers)

    def decode(
        self, data: bytes, source: str | Path, *, max_side: int | None = None
    ) -> DecodedImage:
        limits = self.limits
        fmt = check_format(data, source, limits.formats)  # refused formats never leave here
        side = max_side or limits.max_side
        header = {
            "source": str(source)[:1000],
            "max_pixels": limits.max_pixels,
            "max_side": side,
            "formats": [fmt],
        }
        worker = self._slots.get()
        try:
            if self._closed:
                raise _Died("the decoder is shut down")
            if worker is None:
                worker = self._start()
            reply, payload = worker.request(header, data)
        except _Died as died:
            raise ImageError(source, died.reason) from None
        finally:
            self._release(worker)
        if reply.get("memory"):
            raise ImageError(source, limits.memory_reason())
        return _decoded(reply, payload, source, side, fmt)

    def _start(self) -> _Worker:
        worker = _Worker(self._command, self._env, self.limits)
        with self._lock:
            self._workers.add(worker)
        return worker

    def _release(self, worker: _Worker | None) -> None:
        if worker is not None and (not worker.alive or self._closed):
            worker.stop()
            with self._lock:
                self._workers.discard(worker)
            worker = None
        self._slots.put(worker)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._finalizer()

    def __enter__(self) -> DecodeSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _worker_env() -> dict[str, str]:
    """The parent's environment, its import path (so an injected decoder resolves as it does
    here), and single-threaded numeric libraries, whose per-thread reservations would
    otherwise eat the address-space cap."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p or os.getcwd() for p in sys.path)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    env["MALLOC_ARENA_MAX"] = "2"
    return env


def _decoded(
    reply: dict[str, Any], payload: bytes, source: str | Path, side: int, fmt: str
) -> DecodedImage:
    """Check a worker's reply like any untrusted input, then build the image from it."""
    if not reply.get("ok"):
        reason = str(reply.get("reason") or "cannot decode it")[:2000]
        cls = UnsupportedImageError if reply.get("unsupported") else ImageError
        raise cls(source, reason)
    try:
        height, width = (int(v) for v in reply["shape"])
        size = (int(reply["width"]), int(reply["height"]))
        taken_at = reply.get("taken_at")
        decoded_format = str(reply["format"])[:16]
    except (KeyError, TypeError, ValueError):
        raise ImageError(source, "the decoder sent a malformed reply") from None
    if not (0 < width <= side and 0 < height <= side and len(payload) == width * height * 3):
        raise ImageError(source, "the decoder sent a malformed reply")
    if taken_at is not None and not (isinstance(taken_at, str) and len(taken_at) <= 32):
        taken_at = None
    image = Image.frombytes("RGB", (width, height), payload)
    generation = Generation.from_wire(reply.get("generation"))
    return DecodedImage(image, size[0], size[1], decoded_format or fmt, taken_at, generation)
