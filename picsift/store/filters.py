"""Search filters as typed data: what a search may be narrowed to, checked here.

The filters say *what* (folders, formats, dates, sizes, categories, tags); each storage
implementation turns them into its own query (SQLite: :mod:`picsift.store.sqlite.filters`),
so no caller ever writes SQL. They are applied inside each channel before ranking is cut, so a
filtered page is never short while matching images remain.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime

from picsift.errors import PicsiftError

MAX_FILTER_VALUES = 50
MAX_PEOPLE = 10_000
SHOTS = ("close-up", "medium", "wide")  # the depth facet's shot scales
# edited pictures: left out (search's default once a library has any), among the rest, alone
VARIANTS = ("hide", "include", "only")
_PEOPLE = re.compile(r"(\d{1,5})(?:(\+)|-(\d{1,5}))?")
MAX_INT = 2**63 - 1  # the largest id or number a store can hold


class FilterError(PicsiftError):
    """A filter value is invalid; the message names the filter."""


def iso_date(value: str, name: str) -> str:
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
    # structure facets (stored only when computed: an image without the facet never matches)
    people: str | None = None  # how many people: "0", "2", "2-4" or "3+"
    regions: tuple[str, ...] = field(default=())  # any of these regions (the regions facet)
    shots: tuple[str, ...] = field(default=())  # any of these shot scales (the depth facet)
    variants: str | None = None  # VARIANTS; None: as "include" (search makes it "hide")
    generated: bool | None = None  # marked or described as made with AI (generated images)
    generators: tuple[str, ...] = field(default=())  # any of these, by part of the name

    @property
    def active(self) -> bool:
        return any(v not in (None, ()) for v in self.__dict__.values())

    def check(self) -> None:
        """Raise FilterError naming the first invalid filter."""
        for name in ("folders", "formats", "categories", "tags", "regions", "shots", "generators"):
            if len(getattr(self, name)) > MAX_FILTER_VALUES:
                raise FilterError(f"filter '{name}': at most {MAX_FILTER_VALUES} values")
        numbers = [self.min_width, self.min_height, self.min_bytes, self.max_bytes]
        if any(v is not None and abs(v) > MAX_INT for v in [*numbers, *self.categories]):
            raise FilterError(f"filter values must be at most {MAX_INT:,}")
        for name, value in (
            ("width", self.min_width),
            ("height", self.min_height),
            ("size", self.min_bytes),
            ("size", self.max_bytes),
        ):
            if value is not None and value < 0:
                raise FilterError(f"filter on {name} must not be negative")
        self.people_range()
        unknown = set(self.wanted_shots()) - set(SHOTS)
        if unknown:
            raise FilterError(f"filter 'shot': {sorted(unknown)}; use {', '.join(SHOTS)}")
        if self.variants is not None and self.variants not in VARIANTS:
            raise FilterError(f"filter 'variants': '{self.variants}'; use {', '.join(VARIANTS)}")
        if self.after:
            iso_date(self.after, "after")
        if self.before:
            iso_date(self.before, "before")

    def folder_prefixes(self) -> list[str]:
        """Each folder as the absolute path prefix its images start with."""
        return [os.path.abspath(os.path.expanduser(f)).rstrip("/") + "/" for f in self.folders]

    def wanted_formats(self) -> list[str]:
        return [f.upper().replace("JPG", "JPEG") for f in self.formats]

    def people_range(self) -> tuple[int, int] | None:
        """(fewest, most) people the filter allows; FilterError naming the filter if bad."""
        if self.people is None or not self.people.strip():
            return None
        text = self.people.replace(" ", "")
        match = _PEOPLE.fullmatch(text)
        if match is None:
            raise FilterError(
                f"filter 'people': '{self.people}' is not a count (use 0, 2, 2-4 or 3+)"
            )
        low = int(match.group(1))
        high = MAX_PEOPLE if match.group(2) == "+" else int(match.group(3) or low)
        if high < low or low > MAX_PEOPLE:
            raise FilterError(f"filter 'people': '{self.people}' is an empty range")
        return low, min(high, MAX_PEOPLE)

    def wanted_regions(self) -> list[str]:
        """Regions as the regions facet stores them (lowercase, single spaces)."""
        return [" ".join(r.split()).lower() for r in self.regions if r.strip()]

    def wanted_generators(self) -> list[str]:
        """Generator names as matched: lowercase, a part of the stored name ("comfy")."""
        return [g.strip().lower() for g in self.generators if g.strip()]

    def wanted_shots(self) -> list[str]:
        return [s.strip().lower() for s in self.shots if s.strip()]

    def wanted_tags(self) -> list[str]:
        """Tags as the tags facet stores them (lowercase, single spaces)."""
        return [" ".join(t.split()).lower() for t in self.tags]
