"""Indexing stores what generated files say about how they were made, checks each prompt
against its picture (fake models: exact results), and the filters and the worst-first list
use it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from picsift.config import Settings
from picsift.indexer import Indexer
from picsift.prompts.service import NotFoundError, PromptService
from picsift.store import Store
from picsift.store.filters import Filters
from tests.fakes import FakeModels
from tests.generated_files import C2PA_GENERATOR, COMFY, COMFY_PROMPT, c2pa_jpeg

COLOURS = ("red", "green", "blue", "white", "black", "yellow")


def _a1111(path: Path, colour: str, prompt: str) -> None:
    meta = PngImagePlugin.PngInfo()
    meta.add_text("parameters", f"{prompt}\nSteps: 20, Sampler: Euler a, Seed: 7")
    Image.new("RGB", (64, 48), colour).save(path, "PNG", pnginfo=meta)


@pytest.fixture
def library(tmp_path: Path) -> tuple[Settings, Path]:
    folder = tmp_path / "pics"
    folder.mkdir()
    for n, colour in enumerate(COLOURS * 2):  # twelve plain pictures: the comparison sample
        Image.new("RGB", (64, 48), colour).save(folder / f"plain{n:02d}.jpg")
    _a1111(folder / "red-dress.png", "red", "a red dress, a blue hat")
    _a1111(folder / "blue-hat.png", "blue", "a blue hat")
    meta = PngImagePlugin.PngInfo()
    meta.add_text("prompt", __import__("json").dumps(COMFY))
    Image.new("RGB", (64, 48), "white").save(folder / "comfy.png", "PNG", pnginfo=meta)
    c2pa_jpeg(Image.new("RGB", (64, 48), "green"), folder / "credentials.jpg")
    settings = Settings(home=tmp_path / "home")
    with Store(settings.home) as store:
        report = Indexer(store, FakeModels(), settings).run([folder])
    assert report.complete and report.prompts_checked == 3
    return settings, folder


def test_prompt_generator_and_flag_are_stored(library: tuple[Settings, Path]) -> None:
    settings, _ = library
    with Store(settings.home) as store:
        rows = {Path(r.path).name: r for r in store.images.analysed_rows()}
        red = rows["red-dress.png"]
        assert red.prompt == "a red dress, a blue hat" and red.generator == "Automatic1111"
        assert red.ai_generated and not rows["plain00.jpg"].ai_generated
        assert rows["comfy.png"].generator == "ComfyUI"
        c2pa = rows["credentials.jpg"]  # Content Credentials: a generator, no prompt
        assert c2pa.generator == C2PA_GENERATOR and c2pa.ai_generated and c2pa.prompt is None
        details = PromptService(store).generated(red.id)
        assert details.parameters == {"Steps": "20", "Sampler": "Euler a", "Seed": "7"}


def test_a_phrase_the_picture_lacks_is_flagged(library: tuple[Settings, Path]) -> None:
    settings, _ = library
    with Store(settings.home) as store:
        service = PromptService(store)
        rows = {Path(r.path).name: r for r in store.images.analysed_rows()}
        red = service.generated(rows["red-dress.png"].id).agreement
        assert red is not None and red.sample == 15 and red.model.startswith("fake:")
        assert [(p.phrase, p.supported) for p in red.phrases] == [
            ("red dress", True),  # the fake CLIP sees red: it beats the other colours
            ("blue hat", False),
        ]
        assert red.notes() == ["the prompt names 'blue hat'; nothing in the picture supports it"]
        blue = service.generated(rows["blue-hat.png"].id).agreement
        assert blue is not None and blue.unsupported == []
        assert blue.percentile is not None and red.percentile is not None
        assert blue.percentile > red.percentile
        page = service.mismatches(Filters(), limit=10)
        assert page.total == 3
        assert page.items[-1].image.path.endswith("blue-hat.png")  # agrees best: last


def test_generated_and_generator_filters(library: tuple[Settings, Path]) -> None:
    settings, _ = library
    with Store(settings.home) as store:

        def names(filters: Filters) -> set[str]:
            rows = store.images.rows(store.images.ids_matching(filters).tolist())
            return {Path(r.path).name for r in rows.values()}

        generated = {"red-dress.png", "blue-hat.png", "comfy.png", "credentials.jpg"}
        assert names(Filters(generated=True)) == generated
        assert names(Filters(generators=("test gen",))) == {"credentials.jpg"}
        assert len(names(Filters(generated=False))) == 12
        assert names(Filters(generators=("comfy",))) == {"comfy.png"}
        assert names(Filters(generators=("AUTOMATIC", "nothing"))) == {
            "red-dress.png",
            "blue-hat.png",
        }


def test_a_second_index_run_checks_nothing_again(library: tuple[Settings, Path]) -> None:
    settings, folder = library
    with Store(settings.home) as store:
        report = Indexer(store, FakeModels(), settings).run([folder])
        assert report.indexed == 0 and report.prompts_checked == 0
        with pytest.raises(NotFoundError):
            PromptService(store).generated(999)


def test_prompts_get_sentence_vectors_and_the_caption_channel_weighs_them(
    library: tuple[Settings, Path],
) -> None:
    from picsift.search import channels as ch
    from picsift.store import PROMPT_SPACE

    settings, _ = library
    models = FakeModels()
    with Store(settings.home) as store:
        assert store.catalog.embedding_count(PROMPT_SPACE) == 3  # the prompts, not the rest
        store.vector_index(PROMPT_SPACE, save=True)
        rows = {Path(r.path).name: r.id for r in store.images.analysed_rows()}
        query = models.text_embedder().embed_texts([COMFY_PROMPT])
        sources = ("model", "user", "prompt")
        off = ch.caption(store, query, None, 5, sources, prompt_weight=0.0)
        on = ch.caption(store, query, None, 5, sources, prompt_weight=1.0)
        assert off.scores[0] < 0.99  # no caption is the prompt's words
        assert on.ids[0] == rows["comfy.png"] and on.scores[0] > 0.99  # its prompt is
        half = ch.caption(store, query, None, 5, sources, prompt_weight=0.5)
        assert half.scores[0] == pytest.approx(max(off.scores[0], 0.5 * on.scores[0]), abs=1e-5)


def test_a_changed_file_gets_a_fresh_caption_vector(library: tuple[Settings, Path]) -> None:
    settings, folder = library
    _a1111(folder / "red-dress.png", "green", "a green coat")
    with Store(settings.home) as store:
        report = Indexer(store, FakeModels(), settings).run([folder])
        assert report.indexed == 1
        assert report.text_vectors == 2  # its new caption and its new prompt
        assert report.prompts_checked == 1
