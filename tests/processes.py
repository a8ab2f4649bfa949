"""Stopping a server a test started: politely first, then for certain."""

from __future__ import annotations

import subprocess


def stop(process: subprocess.Popen[bytes], grace: float = 20) -> None:
    """SIGTERM (the server drains and closes its store), SIGKILL after ``grace`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
