"""Search filters, applied inside each channel before ranking is cut.

They compile to one SQL condition over the catalog; channels either join on it (words) or
restrict the vector search to the allowed ids (dense), so a filtered page is never short while
matching images remain.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

from picsift.errors import PicsiftError

MAX_FILTER_VALUES = 50
_MAX_SQL_INT = 2**63 - 1
# Capture time from EXIF, else the file's modification time, as ISO text comparable to input.
DATE_SQL = "coalesce(taken_at, strftime('%Y-%m-%dT%H:%M:%S', mtime_ns / 1e9, 'unixepoch'))"


class FilterError(PicsiftError):
    """A filter value is invalid; the message names the filter."""


def _iso(value: str, name: str) -> str:
    try:
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        raise FilterError(f"filter '{name}': '{value}' is not a date (use YYYY-MM-DD)") from None


@dataclass(frozen=True)
class Filters:
    folders: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    after: str | None = None  # inclusive, ISO date or datetime
    before: str | None = None  # exclusive
    min_width: int | None = None
    min_height: int | None = None
    min_bytes: int | None = None
    max_bytes: int | None = None
    categories: tuple[int, ...] = field(default=())
    tags: tuple[str, ...] = field(default=())

    @property
    def active(self) -> bool:
        return any(v not in (None, ()) for v in self.__dict__.values())

    def sql(self) -> tuple[str, list[object]]:
        """A WHERE condition over ``images`` (aliased ``i``) and its parameters."""
        for name in ("folders", "formats", "categories", "tags"):
            if len(getattr(self, name)) > MAX_FILTER_VALUES:
                raise FilterError(f"filter '{name}': at most {MAX_FILTER_VALUES} values")
        # SQLite integers are signed 64-bit: a larger number is the user's error, not a crash.
        numbers = [self.min_width, self.min_height, self.min_bytes, self.max_bytes]
        if any(v is not None and abs(v) > _MAX_SQL_INT for v in [*numbers, *self.categories]):
            raise FilterError(f"filter values must be at most {_MAX_SQL_INT:,}")
        parts, params = ["i.status = 'ok'"], []
        if self.folders:
            ors = []
            for folder in self.folders:
                prefix = os.path.abspath(os.path.expanduser(folder)).rstrip("/") + "/"
                ors.append("substr(i.path, 1, ?) = ?")
                params += [len(prefix), prefix]
            parts.append("(" + " OR ".join(ors) + ")")
        if self.categories:
            # a parent category matches its children's images; 0 stands for Unsorted
            named = [c for c in self.categories if c != 0]
            ors = []
            if named:
                marks = ",".join("?" * len(named))
                ors.append(
                    "i.id IN (SELECT m.image_id FROM memberships m JOIN categories c "
                    f"ON c.id = m.category_id WHERE c.id IN ({marks}) OR c.parent_id IN ({marks}))"
                )
                params += [*named, *named]
            if 0 in self.categories:
                ors.append("i.id IN (SELECT image_id FROM memberships WHERE category_id IS NULL)")
            parts.append("(" + " OR ".join(ors) + ")")
        if self.tags:
            # any of the tags, as stored by the tags facet (labels are lowercase)
            wanted_tags = [" ".join(t.split()).lower() for t in self.tags]
            parts.append(
                "EXISTS (SELECT 1 FROM json_each(i.facets, '$.tags') "
                f"WHERE json_each.value IN ({','.join('?' * len(wanted_tags))}))"
            )
            params += wanted_tags
        if self.formats:
            wanted = [f.upper().replace("JPG", "JPEG") for f in self.formats]
            parts.append(f"i.format IN ({','.join('?' * len(wanted))})")
            params += wanted
        if self.after:
            parts.append(f"{DATE_SQL} >= ?")
            params.append(_iso(self.after, "after"))
        if self.before:
            parts.append(f"{DATE_SQL} < ?")
            params.append(_iso(self.before, "before"))
        for column, value, op in (
            ("i.width", self.min_width, ">="),
            ("i.height", self.min_height, ">="),
            ("i.size", self.min_bytes, ">="),
            ("i.size", self.max_bytes, "<="),
        ):
            if value is not None:
                if value < 0:
                    raise FilterError(f"filter on {column[2:]} must not be negative")
                parts.append(f"{column} {op} ?")
                params.append(value)
        return " AND ".join(parts), params
