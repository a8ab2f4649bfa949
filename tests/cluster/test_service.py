"""Categories end to end with fake models: cluster, persist, rename, re-cluster, join, filter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from picsift.cli import app
from picsift.cluster.service import CategoryService
from picsift.config import Settings
from picsift.indexer import Indexer
from picsift.search import Filters, SearchOptions, SearchService
from picsift.store import Store
from picsift.store.records import UNSORTED
from tests.fakes import FakeModels
from tests.store.memory import MemoryStore

COLOURS = {"red": (220, 40, 40), "blue": (40, 70, 220), "green": (40, 180, 60)}


def _paint(folder: Path, name: str, count: int, start: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    r, g, b = COLOURS[name]
    for i in range(start, start + count):
        shade = (i * 7) % 30
        Image.new("RGB", (32 + i, 24), (r - shade // 2, g + shade // 3, b)).save(
            folder / f"{name}{i:02d}.png"
        )


@pytest.fixture
def indexed(tmp_path: Path):
    root = tmp_path / "lib"
    for name in COLOURS:
        _paint(root / name, name, 12)
    settings = Settings(home=tmp_path / "home", batch_size=8)
    models = FakeModels()
    store = Store(settings.home)
    Indexer(store, models, settings).run([root])
    yield store, models, settings, root
    store.close()


@pytest.fixture(params=["sqlite", "memory"])
def setup(indexed, request: pytest.FixtureRequest):
    """The indexed library through its SQLite store, or through the in-memory ports."""
    store, models, settings, root = indexed
    return (store if request.param == "sqlite" else MemoryStore(store)), models, settings, root


def _sqlite(store: Store | MemoryStore) -> Store:
    """The store indexing writes to (a memory store mirrors one)."""
    return store if isinstance(store, Store) else store.source


def _names_by_folder(service: CategoryService, store: Store | MemoryStore) -> dict[str, set[int]]:
    rows = store.images.rows_under("/")
    out: dict[str, set[int]] = {}
    for category_id, members in service.categories.leaf_members().items():
        for image_id in members:
            folder = Path(next(p for p, r in rows.items() if r.id == image_id)).parent.name
            out.setdefault(folder, set()).add(category_id)
    return out


def test_cluster_finds_the_groups_and_names_them(setup) -> None:
    store, models, settings, _ = setup
    service = CategoryService(store, models, settings)
    report = service.cluster("images", min_cluster_size=5, min_samples=2)
    assert report.categories == 3 and report.unsorted == 0 and report.images == 36
    by_folder = _names_by_folder(service, store)
    assert all(len(ids) == 1 for ids in by_folder.values())  # each colour is one category
    names = [c.name for c in service.categories.all() if not c.is_parent]
    assert len(set(names)) == len(names) and all(names)
    assert all(c.representatives for c in service.categories.all())


def test_rename_and_ids_survive_reclustering_and_new_photos_join(setup) -> None:
    store, models, settings, root = setup
    service = CategoryService(store, models, settings)
    service.cluster("images", min_cluster_size=5, min_samples=2)
    before = _names_by_folder(service, store)
    red = next(iter(before["red"]))
    service.categories.rename(red, "Tomato things")
    _paint(root / "red", "red", 4, start=12)  # new photos arrive
    Indexer(_sqlite(store), models, settings).run([root])
    assert service.join_new() == 4
    assert len(service.categories.leaf_members()[red]) == 16
    report = service.cluster("images", min_cluster_size=5, min_samples=2)
    assert report.kept == 3 and not report.born and not report.died
    assert _names_by_folder(service, store) == before
    renamed = service.categories.get(red)
    assert renamed is not None and renamed.name == "Tomato things"


def test_category_filter_in_search(setup) -> None:
    store, models, settings, _ = setup
    service = CategoryService(store, models, settings)
    service.cluster("images", min_cluster_size=5, min_samples=2)
    blue = next(iter(_names_by_folder(service, store)["blue"]))
    search = SearchService(store, models, settings)
    page = search.search(
        "red", SearchOptions(limit=50, cutoff=0.0, filters=Filters(categories=(blue,)))
    )
    assert len(page.hits) == 12 and all("blue" in h.path for h in page.hits)
    unsorted = search.search("red", SearchOptions(filters=Filters(categories=(UNSORTED,))))
    assert unsorted.hits == []


def test_cli_cluster_categories_rename_and_eval(indexed, tmp_path: Path) -> None:
    store, _, settings, root = indexed
    store.close()
    runner = CliRunner()
    home = ["--home", str(settings.home)]
    # the CLI resolves a real preset; categories need no model beyond the stored vectors for
    # listing, renaming and evaluation
    from picsift.cluster.service import CategoryService as Service

    with Store(settings.home) as again:
        Service(again, FakeModels(), settings).cluster("images", min_cluster_size=5)
    listed = runner.invoke(app, ["categories", "--tree", *home])
    assert listed.exit_code == 0 and "Unsorted" in listed.stdout
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "file,label\n"
        + "".join(
            f"{p.parent.name}/{p.name},{p.parent.name}\n" for p in sorted(root.rglob("*.png"))
        )
    )
    report = tmp_path / "report"
    scores = runner.invoke(
        app,
        ["eval", "clusters", "--labels", str(labels), *home, "--json", "--report", str(report)],
    )
    assert scores.exit_code == 0, scores.output
    assert '"nmi": 1.0' in scores.stdout and '"coverage": 1.0' in scores.stdout
    written = json.loads((report / "clusters.json").read_text())
    assert (
        written["confusion"] and sum(sum(r.values()) for r in written["confusion"].values()) == 36
    )
    assert "majority label" in (report / "clusters.md").read_text()
    assert (report / "clusters-confusion.png").is_file()
    renamed = runner.invoke(app, ["rename", "1", "My things", *home])
    assert renamed.exit_code == 0 and "My things" in renamed.stdout
    missing = runner.invoke(app, ["rename", "999", "x", *home])
    assert missing.exit_code == 2 and "no category with id 999" in missing.stderr


def test_tags_feed_category_names(tmp_path: Path) -> None:
    import dataclasses

    from tests.fakes import fake_preset

    root = tmp_path / "lib"
    for name in COLOURS:
        _paint(root / name, name, 12)
    home = tmp_path / "home"
    (home / "vocabularies").mkdir(parents=True)
    (home / "vocabularies" / "stuff.txt").write_text("#: threshold = 0.5\nred paint\nblue ink\n")
    settings = Settings(home=home, tag_vocabularies=["stuff"])
    models = FakeModels(dataclasses.replace(fake_preset(), meaningless=False))
    with Store(settings.home) as store:
        Indexer(store, models, settings).run([root])
        service = CategoryService(store, models, settings)
        service.cluster("images", min_cluster_size=5, min_samples=2)
        keywords = {w for c in service.categories.all() for w in [c.name, *c.keywords]}
    assert {"paint", "ink"} & {w for k in keywords for w in k.split()}
