"""The edit use case with fakes at the model boundary: variants, scores, choice, refusals."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from picsift.edit.request import EditOptions
from picsift.edit.service import EditService
from picsift.edit.variants import AI_EDITED
from picsift.errors import EditError
from picsift.store import Store
from tests.edit.conftest import FakeExifTool
from tests.fakes import FakeModels


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != ".lock")


def test_an_edit_adds_a_marked_variant_linked_to_its_original(
    service: EditService, store: Store, exiftool: FakeExifTool
) -> None:
    original = store.images.get(1)
    assert original is not None
    before = hashlib.sha256(Path(original.path).read_bytes()).hexdigest()
    result = service.edit(1, "  at night ", EditOptions())
    assert result.variant_id is not None and result.instruction == "at night"
    chosen = result.chosen
    assert chosen is not None and chosen.scores.edges is not None
    assert chosen.scores.structure >= 0.9  # darkening keeps every line
    row = store.images.get(result.variant_id)
    assert row is not None and row.status == "ok"
    assert Path(row.path).parent == service.folder / "1"
    link = store.edits.variant(result.variant_id)
    assert link is not None and link.original_id == 1 and link.method == "structure"
    assert link.scores["chosen"]["effect"] == chosen.scores.effect  # type: ignore[index]
    assert [v.image_id for v in store.edits.variants_of(1)] == [result.variant_id]
    (marks,) = exiftool.written.values()  # written on the file before its final name
    assert marks["XMP-iptcExt:DigitalSourceType"] == AI_EDITED
    assert "at night" in marks["XMP-dc:Description"]
    assert hashlib.sha256(Path(original.path).read_bytes()).hexdigest() == before


def test_the_stored_maps_are_the_conditions(service: EditService, models: FakeModels) -> None:
    result = service.edit(2, "at night", EditOptions(keep=("edges",)))
    request = models.editor("structure").requests[-1]
    assert set(request.controls) == {"edges"}
    assert not result.notes  # the edges map was stored at indexing


def test_a_map_not_stored_is_made_and_said(service: EditService, models: FakeModels) -> None:
    result = service.edit(2, "at night", EditOptions(keep=("depth", "edges")))
    assert set(models.editor("structure").requests[-1].controls) == {"depth", "edges"}
    assert any("depth map was made now" in note for note in result.notes)


def test_below_the_threshold_nothing_is_kept_without_force(
    service: EditService, store: Store
) -> None:
    before = store.images.counts()["ok"]
    result = service.edit(1, "scramble it", EditOptions())
    assert result.variant_id is None and "below the threshold" in result.reason
    assert store.images.counts()["ok"] == before and not _files(service.folder)
    forced = service.edit(1, "scramble it", EditOptions(force=True))
    assert forced.variant_id is not None


def test_candidates_are_all_scored_and_the_best_effect_that_keeps_structure_wins(
    service: EditService,
) -> None:
    result = service.edit(3, "at night", EditOptions(seed=5, candidates=3))
    assert [c.seed for c in result.candidates] == [5, 6, 7]
    passing = [c for c in result.candidates if c.scores.structure >= result.threshold]
    best = max(passing, key=lambda c: c.scores.effect)
    assert result.chosen == best and sum(c.chosen for c in result.candidates) == 1


@pytest.mark.parametrize(
    ("image_id", "instruction", "options", "message"),
    [
        (1, "", EditOptions(), "empty"),
        (1, "x" * 301, EditOptions(), "301 characters"),
        (1, "at night", EditOptions(method="oil-paint"), "unknown edit method 'oil-paint'"),
        (1, "at night", EditOptions(method="instruct", keep=("depth",)), "cannot keep depth"),
        (999, "at night", EditOptions(), "no image with id 999"),
        (1, "at night", EditOptions(candidates=100), "candidates"),
    ],
)
def test_bad_requests_are_refused_and_change_nothing(
    service: EditService,
    store: Store,
    image_id: int,
    instruction: str,
    options: EditOptions,
    message: str,
) -> None:
    before = store.images.counts()
    with pytest.raises(EditError, match=message):
        service.edit(image_id, instruction, options)
    assert store.images.counts() == before and store.edits.variant_count() == 0
    assert not _files(service.folder)


def test_a_file_changed_since_indexing_is_refused(service: EditService, store: Store) -> None:
    row = store.images.get(4)
    assert row is not None
    Path(row.path).write_bytes(Path(row.path).read_bytes() + b"\0")
    with pytest.raises(EditError, match="changed since it was indexed"):
        service.edit(4, "at night", EditOptions())
    assert store.edits.variant_count() == 0


def test_a_series_gives_one_variant_per_picture_with_one_seed(
    service: EditService, store: Store, models: FakeModels
) -> None:
    items = service.series([1, 2, 3], "at night", EditOptions(seed=11))
    assert [i.image_id for i in items] == [1, 2, 3]
    assert all(i.result and i.result.variant_id for i in items)
    assert {r.seed for r in models.editor("structure").requests} == {11}
    assert {store.edits.variant(i.result.variant_id).original_id for i in items if i.result} == {  # type: ignore[union-attr, arg-type]
        1,
        2,
        3,
    }


def test_a_series_reports_a_picture_it_cannot_edit_and_goes_on(
    service: EditService, store: Store
) -> None:
    row = store.images.get(2)
    assert row is not None
    Path(row.path).unlink()
    items = service.series([1, 2, 3], "at night", EditOptions())
    assert items[1].error is not None and "image 2" in items[1].error
    assert items[0].result and items[2].result


def test_variants_stay_out_of_search_unless_asked_for(service: EditService, store: Store) -> None:
    from picsift.search import Filters, SearchOptions, SearchService

    made = service.edit(1, "at night", EditOptions()).variant_id
    search = SearchService(store, FakeModels(), service._settings)
    shown = {h.id for h in search.search("dress", SearchOptions(limit=50)).hits}
    assert made not in shown
    wide = SearchOptions(limit=50, filters=Filters(variants="include"))
    assert made in {h.id for h in search.search("dress", wide).hits}
    alone = SearchOptions(limit=50, filters=Filters(variants="only"))
    assert {h.id for h in search.search("dress", alone).hits} <= {made}


def test_recover_removes_what_an_interrupted_edit_left(service: EditService, store: Store) -> None:
    kept = service.edit(1, "at night", EditOptions()).variant_path
    folder = service.folder / "1"
    (folder / ".edit-deadbeef.png").write_bytes(b"half")
    stray = folder / "stray.png"
    stray.write_bytes(Path(str(kept)).read_bytes())
    removed = service.recover()
    assert set(removed) == {folder / ".edit-deadbeef.png", stray}
    assert _files(service.folder) == [Path(str(kept))]


def test_recover_drops_an_indexed_file_whose_link_was_never_written(
    service: EditService, store: Store, models: FakeModels, settings: object
) -> None:
    from picsift.indexer import Indexer

    folder = service.folder / "2"
    folder.mkdir(parents=True)
    orphan = folder / "orphan.png"
    orphan.write_bytes(Path(str(store.images.get(2).path)).read_bytes())  # type: ignore[union-attr]
    Indexer(store, models, service._settings).run([orphan])
    assert store.images.rows_under(str(orphan))
    service.recover()
    assert not orphan.exists() and not store.images.rows_under(str(orphan))


def test_recover_leaves_an_edit_in_flight_alone(service: EditService) -> None:
    folder = service.folder / "1"
    folder.mkdir(parents=True)
    in_flight = folder / ".edit-cafef00d.png"
    in_flight.write_bytes(b"being written")
    with service._files.writing():  # as another process's edit holds it
        assert service.recover() == [] and in_flight.exists()
    assert service.recover() == [in_flight] and not in_flight.exists()


def test_a_category_series_edits_originals_not_earlier_variants(
    service: EditService, store: Store, models: FakeModels
) -> None:
    from picsift.cluster.service import CategoryService
    from picsift.store.records import Membership

    CategoryService(store, models, service._settings).cluster("image")
    category = store.categories.all()[0]
    members, _ = store.categories.member_ids(category.id, 0, 100)
    made = service.edit(members[0], "at night", EditOptions()).variant_id
    assert made is not None
    store.categories.add_members([Membership(made, category.id, 0.9)])
    assert made in store.categories.member_ids(category.id, 0, 100)[0]
    assert service.category_members(category.id) == members
