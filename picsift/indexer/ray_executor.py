"""Indexing on a Ray cluster: the local pipeline as Ray Data batch inference.

The driver (this process) plans, owns the catalog and commits; Ray Data streams the plan's
files through an actor pool (:class:`~picsift.indexer.ray_worker.AnalyseFiles`) whose actors
each load the models once and read the files from the shared path. Results come back as
they finish and are committed in batches through the same :class:`Outcomes` as a local run,
so the catalog ends the same; a killed driver leaves pending rows the next run resumes, and
Ray restarts a lost actor and retries its batch.

Ray is an optional dependency (``picsift[ray]``), imported only here and only when used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from picsift.config import Settings
from picsift.errors import PicsiftError
from picsift.imaging.ahead import FileStat
from picsift.indexer.outcomes import Outcomes, Plan
from picsift.indexer.ray_worker import (
    ANALYSED,
    FAILED,
    KNOWN,
    AnalyseFiles,
    KnownHashes,
    decode_analysis,
)
from picsift.models.presets import Preset
from picsift.store import Analysis

LOCAL = "local"  # start a private Ray instance on this machine for the run


@dataclass(frozen=True)
class RayOptions:
    address: str  # "auto", "local", "HOST:PORT" or "ray://HOST:PORT"
    workers: int | None = None  # actors at most; None: as many as the cluster's CPUs allow
    cpus_per_worker: float = 1.0


def import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise PicsiftError(
            "--ray needs Ray, which is an optional extra: pip install 'picsift[ray]'"
        ) from exc
    return ray


class RayExecutor:
    def __init__(self, options: RayOptions, settings: Settings, preset: Preset) -> None:
        if options.cpus_per_worker <= 0:
            raise PicsiftError("--ray-cpus must be above 0")
        if options.workers is not None and options.workers < 1:
            raise PicsiftError("--ray-workers must be at least 1")
        self._options = options
        self._preset = preset
        threads = max(1, int(options.cpus_per_worker))
        # each actor gets its share of a node: torch threads and decoders sized to it
        self._worker_settings = settings.model_copy(
            update={"threads": threads, "decode_workers": threads}
        )
        self._commit_every = settings.batch_size

    def process(self, plan: Plan, outcomes: Outcomes) -> None:
        if not plan.todo:
            return  # nothing to analyse: no cluster needed
        ray = import_ray()
        started_here = self._connect(ray)
        try:
            left = self._run(ray, plan.todo, outcomes, KnownHashes(outcomes.known_hashes()))
            if left:
                # bytes the catalog knew at the start but no shortcut could settle (a twin
                # pruned meanwhile): analyse them after all
                self._run(ray, left, outcomes, KnownHashes([]))
        finally:
            if started_here:
                ray.shutdown()

    def _connect(self, ray: Any) -> bool:
        """Join the cluster (or start a private one); True when this run owns it."""
        if ray.is_initialized():
            return False
        quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
        try:
            if self._options.address == LOCAL:
                cpus = None
                if self._options.workers is not None:
                    cpus = int(self._options.workers * max(self._options.cpus_per_worker, 1))
                ray.init(num_cpus=cpus, include_dashboard=False, **quiet)
            else:
                ray.init(address=self._options.address, **quiet)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise PicsiftError(
                f"cannot reach a Ray cluster at '{self._options.address}': {exc}. Start one "
                "with 'ray start --head' (and 'ray start --address HEAD:6379' on each "
                "worker), or use --ray local for a private instance on this machine"
            ) from exc
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        return True

    def _pool_size(self, ray: Any) -> int:
        if self._options.workers is not None:
            return self._options.workers
        cpus = float(ray.cluster_resources().get("CPU", 1))
        return max(1, int(cpus // self._options.cpus_per_worker))

    def _run(
        self, ray: Any, files: list[FileStat], outcomes: Outcomes, known: KnownHashes
    ) -> list[FileStat]:
        """Stream ``files`` through the actor pool; returns the known ones left unsettled."""
        rows = [{"path": f.path, "size": f.size, "mtime_ns": f.mtime_ns} for f in files]
        size = self._pool_size(ray)
        results = ray.data.from_items(rows).map_batches(
            AnalyseFiles,
            fn_constructor_kwargs={
                "settings": self._worker_settings,
                "preset": self._preset,
                "known": known,
            },
            batch_size=self._worker_settings.batch_size,
            compute=ray.data.ActorPoolStrategy(min_size=1, max_size=size),
            num_cpus=self._options.cpus_per_worker,
        )
        try:
            return self._collect(results.iter_rows(), outcomes)
        except ray.exceptions.RayError as exc:
            raise PicsiftError(f"the Ray job failed (committed batches are kept): {exc}") from exc

    def _collect(self, stream: Any, outcomes: Outcomes) -> list[FileStat]:
        left: list[FileStat] = []
        done: list[Analysis] = []
        seconds = 0.0
        for row in stream:
            file = FileStat(str(row["path"]), int(row["size"]), int(row["mtime_ns"]))
            outcome = row["outcome"]
            sha = str(row["sha256"]) or None
            if outcome == FAILED:
                outcomes.failed(file, str(row["error"]), sha, bool(row["transient"]))
                continue
            outcomes.user_caption(file, str(row["user_caption"]) or None)
            if outcome == KNOWN:
                if sha is None or not outcomes.shortcut(file, sha):
                    left.append(file)
            elif outcome == ANALYSED:
                done.append(decode_analysis(str(row["record"])))
                seconds += float(row["seconds"])
                if len(done) >= self._commit_every:
                    outcomes.commit(done, seconds)
                    done, seconds = [], 0.0
            else:
                raise PicsiftError(f"a Ray worker sent an unknown outcome '{outcome}'")
        outcomes.commit(done, seconds)
        return left
