"""People's captions: sidecar text/XMP files and a JSONL file, stored and searchable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from picsift.config import Settings
from picsift.errors import PicsiftError
from picsift.indexer import Indexer
from picsift.indexer.captions import load_captions_file, sidecar_caption, xmp_description
from picsift.store import Store
from tests.fakes import FakeModels

XMP = """<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns:dc="http://purl.org/dc/elements/1.1/"><rdf:Description>
 <dc:description><rdf:Alt><rdf:li xml:lang="x-default">Hotel lobby
   with a green sofa</rdf:li></rdf:Alt></dc:description>
</rdf:Description></rdf:RDF></x:xmpmeta>"""


def test_sidecars(tmp_path: Path) -> None:
    img = tmp_path / "a.jpg"
    assert sidecar_caption(img) is None
    (tmp_path / "a.xmp").write_text(XMP)
    assert sidecar_caption(img) == "Hotel lobby with a green sofa"
    (tmp_path / "a.jpg.txt").write_text("  Pool at\n dusk ")
    assert sidecar_caption(img) == "Pool at dusk"
    assert xmp_description("<not xml") is None


def test_captions_file_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "c.jsonl"
    bad.write_text('{"file": "a.jpg", "caption": "ok"}\n{"file": "b.jpg"}\n')
    with pytest.raises(PicsiftError, match=r"c\.jsonl:2"):
        load_captions_file(bad, tmp_path)


def test_index_stores_and_updates_people_captions(photos: Path, tmp_path: Path) -> None:
    first, second = sorted(photos.glob("*.jpg"))[:2]
    (photos / (first.stem + ".txt")).write_text("a dress on a hanger")
    captions = tmp_path / "captions.jsonl"
    captions.write_text(json.dumps({"file": second.name, "caption": "blue sneakers"}) + "\n")
    settings = Settings(home=tmp_path / "home", batch_size=8)
    models = FakeModels()
    with Store(settings.home) as store:
        report = Indexer(store, models, settings).run([photos], captions_file=captions)
        rows = store.catalog.rows_under(str(photos))
        assert report.user_captions == 2
        assert rows[str(first)].user_caption == "a dress on a hanger"
        assert rows[str(second)].user_caption == "blue sneakers"
        assert store.catalog.embedding_count("user_caption") == 2
        captions.write_text(json.dumps({"file": second.name, "caption": "white sneakers"}))
        seen = models.text_embedder().texts_seen
        again = Indexer(store, models, settings).run([photos], captions_file=captions)
        assert again.user_captions == 1 and again.text_vectors == 1
        assert models.text_embedder().texts_seen == seen + 1
        assert store.catalog.get(rows[str(second)].id).user_caption == "white sneakers"
