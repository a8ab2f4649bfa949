"""Filters as one SQLite condition over ``images`` (aliased ``i``); the SQLite store only."""

from __future__ import annotations

from picsift.store.filters import Filters, iso_date

# Capture time from EXIF, else the file's modification time, as ISO text comparable to input.
DATE_SQL = "coalesce(taken_at, strftime('%Y-%m-%dT%H:%M:%S', mtime_ns / 1e9, 'unixepoch'))"


def where(filters: Filters) -> tuple[str, list[object]]:
    """A WHERE condition and its parameters; FilterError for an invalid filter."""
    filters.check()
    parts, params = ["i.status = 'ok'"], list[object]()
    if filters.folders:
        ors = []
        for prefix in filters.folder_prefixes():
            ors.append("substr(i.path, 1, ?) = ?")
            params += [len(prefix), prefix]
        parts.append("(" + " OR ".join(ors) + ")")
    if filters.categories:
        # a parent category matches its children's images; 0 stands for Unsorted
        named = [c for c in filters.categories if c != 0]
        ors = []
        if named:
            marks = ",".join("?" * len(named))
            ors.append(
                "i.id IN (SELECT m.image_id FROM memberships m JOIN categories c "
                f"ON c.id = m.category_id WHERE c.id IN ({marks}) OR c.parent_id IN ({marks}))"
            )
            params += [*named, *named]
        if 0 in filters.categories:
            ors.append("i.id IN (SELECT image_id FROM memberships WHERE category_id IS NULL)")
        parts.append("(" + " OR ".join(ors) + ")")
    if filters.tags:
        tags = filters.wanted_tags()
        parts.append(
            "EXISTS (SELECT 1 FROM json_each(i.facets, '$.tags') "
            f"WHERE json_each.value IN ({','.join('?' * len(tags))}))"
        )
        params += tags
    span = filters.people_range()
    if span is not None:
        parts.append(
            "json_valid(i.facets) AND json_extract(i.facets, '$.people.count') BETWEEN ? AND ?"
        )
        params += [span[0], span[1]]
    if filters.regions:
        regions = filters.wanted_regions()
        parts.append(
            "json_valid(i.facets) AND EXISTS (SELECT 1 FROM "
            "json_each(i.facets, '$.regions.regions') r WHERE "
            f"json_extract(r.value, '$.label') IN ({','.join('?' * len(regions))}))"
        )
        params += regions
    if filters.shots:
        shots = filters.wanted_shots()
        parts.append(
            "json_valid(i.facets) AND "
            f"json_extract(i.facets, '$.depth.shot') IN ({','.join('?' * len(shots))})"
        )
        params += shots
    if filters.variants == "hide":
        parts.append("i.id NOT IN (SELECT image_id FROM variants)")
    elif filters.variants == "only":
        parts.append("i.id IN (SELECT image_id FROM variants)")
    if filters.generated is not None:
        parts.append("i.ai_generated = ?")
        params.append(int(filters.generated))
    if filters.generators:
        names = filters.wanted_generators()
        parts.append("(" + " OR ".join("instr(lower(i.generator), ?) > 0" for _ in names) + ")")
        params += names
    if filters.formats:
        formats = filters.wanted_formats()
        parts.append(f"i.format IN ({','.join('?' * len(formats))})")
        params += formats
    if filters.after:
        parts.append(f"{DATE_SQL} >= ?")
        params.append(iso_date(filters.after, "after"))
    if filters.before:
        parts.append(f"{DATE_SQL} < ?")
        params.append(iso_date(filters.before, "before"))
    for column, value, op in (
        ("i.width", filters.min_width, ">="),
        ("i.height", filters.min_height, ">="),
        ("i.size", filters.min_bytes, ">="),
        ("i.size", filters.max_bytes, "<="),
    ):
        if value is not None:
            parts.append(f"{column} {op} ?")
            params.append(value)
    return " AND ".join(parts), params
