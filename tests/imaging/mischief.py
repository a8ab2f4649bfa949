"""A decoder for the sandbox's seam that misbehaves on request, chosen by the input's name.

The sandbox runs whatever ``module:function`` it is given in its workers; tests pass
``tests.imaging.mischief:decode`` to make a decode hang, crash, exit, raise or send back a
reply no honest decoder would, without patching anything in picsift.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from PIL import Image

from picsift.imaging.decode import DecodedImage, decode_image

REFERENCE = "tests.imaging.mischief:decode"


def decode(data: bytes, source: str | Path, **limits: Any) -> DecodedImage:
    name = Path(str(source)).name
    if name.startswith("slow"):
        time.sleep(120)
    elif name.startswith("crash"):
        os.kill(os.getpid(), signal.SIGSEGV)
    elif name.startswith("exit"):
        os._exit(7)
    elif name.startswith("raise"):
        raise RuntimeError("a decoder bug")
    elif name.startswith("oversized"):  # more pixels than asked for: a lying worker
        side = int(limits["max_side"]) * 2
        return DecodedImage(Image.new("RGB", (side, side)), side, side, "PNG", None)
    return decode_image(data, source, **limits)
