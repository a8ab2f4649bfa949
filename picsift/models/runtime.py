"""Where and how torch runs: device choice and thread count, decided once per process."""

from __future__ import annotations

import torch

from picsift.config import Settings


def pick_device(settings: Settings) -> torch.device:
    if settings.device != "auto":
        return torch.device(settings.device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def quiet_loading() -> None:
    """Weight-loading progress bars are noise in a CLI run or a server log."""
    import transformers

    transformers.utils.logging.disable_progress_bar()


def configure_threads(settings: Settings) -> None:
    """Use every core for intra-op parallelism; torch's default can undercount in containers."""
    if torch.get_num_threads() != settings.resolved_threads:
        torch.set_num_threads(settings.resolved_threads)
