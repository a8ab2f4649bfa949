"""``export xmp`` end to end through exiftool (installed by .ci/run): every field reads back,
what was in the file survives, a second run changes nothing, and what picsift wrote is never
read back as a person's caption or a generator's prompt."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from picsift.config import Settings
from picsift.describe.service import DescribeService
from picsift.indexer import Indexer
from picsift.metadata.exiftool import ExifTool
from picsift.metadata.export import Exporter, ExportOptions, exiftool_for_xmp, sidecar_path
from picsift.store import Store
from tests.fakes import FakeModels
from tests.generated_files import XMP_PROMPT, write_all

pytestmark = pytest.mark.skipif(
    shutil.which("exiftool") is None,
    reason="export writes through exiftool (.ci/run installs libimage-exiftool-perl)",
)
FIELDS = ("XMP:all", "IFD0:Artist", "IFD0:Copyright")


@pytest.fixture
def library(tmp_path: Path, photos: Path) -> Iterator[tuple[Store, Exporter, dict[str, Path]]]:
    files = write_all(Image.open(sorted(photos.glob("*.jpg"))[0]), photos / "generated")
    settings = Settings(home=tmp_path / "home")
    models = FakeModels()
    with Store(settings.home) as store:
        assert Indexer(store, models, settings).run([photos]).complete
        yield store, Exporter(store, DescribeService(models, settings), exiftool_for_xmp()), files


def _ids(store: Store, *paths: Path) -> list[int]:
    rows = store.images.rows_under("/")
    return [rows[str(p)].id for p in paths]


def _read(path: Path) -> dict[str, object]:
    return exiftool_for_xmp().read(path, *FIELDS, "XMP-picsift:all")


def test_sidecar_holds_every_field_and_the_picture_is_untouched(library) -> None:  # type: ignore[no-untyped-def]
    store, exporter, files = library
    jpeg = files["jpeg"]
    before = jpeg.read_bytes()
    (result,) = exporter.xmp(_ids(store, jpeg), ExportOptions())
    assert result.status == "written" and result.target == f"{jpeg}.xmp"
    assert jpeg.read_bytes() == before
    got = _read(Path(result.target))
    assert str(got["XMP-dc:Description"]).startswith("A mostly")  # the paragraph template
    alt = str(got["XMP-iptcCore:AltTextAccessibility"])
    assert 0 < len(alt) <= 125
    assert got["XMP-iptcCore:ExtDescrAccessibility"] == got["XMP-dc:Description"]
    subject = got["XMP-dc:Subject"]
    assert isinstance(subject, list) and subject[0] == "existing keyword"  # kept, first
    assert len(subject) > 1  # then the tags template's: colours, framing
    assert got["XMP-picsift:Prompt"] == XMP_PROMPT and got["XMP-picsift:Generator"]
    assert str(got["XMP-picsift:CaptionModel"]).startswith("fake")
    assert got["XMP-tiff:Artist"] == "Ada Lovelace"  # the file's EXIF, copied into the sidecar
    again = list(exporter.xmp(_ids(store, jpeg), ExportOptions()))
    assert [r.status for r in again] == ["unchanged"]


def test_embedding_keeps_other_metadata_and_is_idempotent(library) -> None:  # type: ignore[no-untyped-def]
    store, exporter, files = library
    targets = [files["jpeg"], files["webp"], files["a1111"]]
    results = list(exporter.xmp(_ids(store, *targets), ExportOptions(mode="embed")))
    assert [r.status for r in results] == ["written"] * 3
    for path in targets[:2]:
        got = ExifTool().read(path, *FIELDS)
        assert got["IFD0:Artist"] == "Ada Lovelace" and got["IFD0:Copyright"] == "CC0"
        assert str(got["XMP-iptcExt:DigitalSourceType"]).endswith("trainedAlgorithmicMedia")
        assert "existing keyword" in str(got["XMP-dc:Subject"])
        assert str(got["XMP-dc:Description"]).startswith("A mostly")
    with Image.open(targets[2]) as png:
        assert "parameters" in png.info  # the generator's own chunk survives
    assert [r.status for r in exporter.xmp(_ids(store, *targets), ExportOptions(mode="embed"))] == [
        "unchanged"
    ] * 3


def test_a_reindex_after_export_changes_nothing_and_reads_no_caption_back(library, photos) -> None:  # type: ignore[no-untyped-def]
    store, exporter, files = library
    ids = _ids(store, files["jpeg"], files["webp"])
    list(exporter.xmp(ids[:1], ExportOptions()))  # a sidecar
    list(exporter.xmp(ids[1:], ExportOptions(mode="embed")))  # into the file
    report = Indexer(store, FakeModels(), Settings(home=store.home)).run([photos])
    assert report.indexed == 0 and report.user_captions == 0  # the hash was updated
    for image_id in ids:
        row = store.images.get(image_id)
        assert row is not None and row.user_caption is None and row.prompt == XMP_PROMPT


def test_dry_run_reports_and_writes_nothing(library) -> None:  # type: ignore[no-untyped-def]
    store, exporter, files = library
    (result,) = exporter.xmp(_ids(store, files["comfy"]), ExportOptions(dry_run=True))
    assert result.status == "would change" and "XMP-dc:Description" in result.changes
    assert not Path(result.target).exists()


def test_changed_files_and_unembeddable_formats_are_refused(library, photos) -> None:  # type: ignore[no-untyped-def]
    store, exporter, files = library
    gif = photos / "anim.gif"
    Image.new("RGB", (32, 32), "red").save(gif)
    Indexer(store, FakeModels(), Settings(home=store.home)).run([gif])
    png = files["comfy"]
    with open(png, "ab") as f:
        f.write(b"\0")
    results = list(exporter.xmp(_ids(store, png, gif), ExportOptions(mode="embed")))
    assert [r.status for r in results] == ["refused", "refused"]
    assert "changed since it was indexed" in str(results[0].reason)
    assert "cannot embed XMP in GIF" in str(results[1].reason)
    (sidecar,) = exporter.xmp(_ids(store, gif), ExportOptions())
    assert sidecar.status == "written"  # a sidecar serves every format


def test_lightroom_names_and_the_served_packet(library) -> None:  # type: ignore[no-untyped-def]
    store, exporter, files = library
    assert sidecar_path(Path("/a/b.jpg"), "lightroom") == Path("/a/b.xmp")
    assert sidecar_path(Path("/a/b.jpg")) == Path("/a/b.jpg.xmp")
    (result,) = exporter.xmp(_ids(store, files["a1111"]), ExportOptions(style="lightroom"))
    assert result.target.endswith("a1111.xmp")
    packet = exporter.packet(_ids(store, files["a1111"])[0])
    assert b"<dc:description>" in packet and b"AltTextAccessibility" in packet
