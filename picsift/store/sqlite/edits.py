"""Persistence of edits: variants linked to their originals, and the edit jobs.

Shares the catalog's connection and lock, as :mod:`picsift.store.sqlite.categories` does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from picsift.store.records import EditJobRecord, VariantRecord
from picsift.store.sqlite.catalog import Catalog, now_iso

_VARIANT = (
    "image_id, original_id, instruction, method, seed, structure, effect, scores, settings, created"
)
_JOB = "id, status, request, done, total, variant_ids, result, error, created, updated"


def _variant(row: Sequence[Any]) -> VariantRecord:
    image_id, original, instruction, method, seed, structure, effect, scores, settings, at = row
    return VariantRecord(
        int(image_id),
        None if original is None else int(original),
        str(instruction),
        str(method),
        int(seed),
        float(structure),
        float(effect),
        dict(json.loads(scores)),
        dict(json.loads(settings)),
        str(at),
    )


def _job(row: Sequence[Any]) -> EditJobRecord:
    job_id, status, request, done, total, variants, result, error, created, updated = row
    return EditJobRecord(
        str(job_id),
        str(status),
        dict(json.loads(request)),
        int(done),
        int(total),
        tuple(int(v) for v in json.loads(variants)),
        dict(json.loads(result)),
        None if error is None else str(error),
        str(created),
        str(updated),
    )


class EditStore:
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def add_variant(self, record: VariantRecord) -> None:
        with self._catalog.transaction() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO variants({_VARIANT}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    record.image_id,
                    record.original_id,
                    record.instruction,
                    record.method,
                    record.seed,
                    record.structure,
                    record.effect,
                    json.dumps(record.scores),
                    json.dumps(record.settings),
                    record.created or now_iso(),
                ),
            )

    def variant(self, image_id: int) -> VariantRecord | None:
        rows = self._catalog._read(
            f"SELECT {_VARIANT} FROM variants WHERE image_id = ?", (image_id,)
        )
        return _variant(rows[0]) if rows else None

    def variants_of(self, original_id: int) -> list[VariantRecord]:
        rows = self._catalog._read(
            f"SELECT {_VARIANT} FROM variants WHERE original_id = ? ORDER BY image_id",
            (original_id,),
        )
        return [_variant(r) for r in rows]

    def variant_count(self) -> int:
        return int(self._catalog._read("SELECT count(*) FROM variants")[0][0])

    def variant_ids(self) -> set[int]:
        return {int(r[0]) for r in self._catalog._read("SELECT image_id FROM variants")}

    def save_job(self, job: EditJobRecord) -> None:
        stamp = now_iso()
        with self._catalog.transaction() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO edit_jobs({_JOB}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    job.id,
                    job.status,
                    json.dumps(job.request),
                    job.done,
                    job.total,
                    json.dumps(list(job.variant_ids)),
                    json.dumps(job.result),
                    job.error,
                    job.created or stamp,
                    stamp,
                ),
            )

    def job(self, job_id: str) -> EditJobRecord | None:
        rows = self._catalog._read(f"SELECT {_JOB} FROM edit_jobs WHERE id = ?", (job_id,))
        return _job(rows[0]) if rows else None

    def interrupt_unfinished(self) -> int:
        with self._catalog.transaction() as conn:
            cursor = conn.execute(
                "UPDATE edit_jobs SET status = 'interrupted', updated = ? "
                "WHERE status IN ('queued', 'running')",
                (now_iso(),),
            )
            return int(cursor.rowcount)
