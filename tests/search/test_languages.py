"""Query language: detection on real sentences, the words channel left out for a language
no caption is in (and kept for one that some are in), and full-text matching of Cyrillic."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from picsift.config import Settings
from picsift.indexer import Indexer
from picsift.indexer.text_vectors import sync_text_vectors
from picsift.search import SearchOptions, SearchService
from picsift.search.adapt import adapt_weights
from picsift.search.language import Detected, LanguageDetector
from picsift.search.query import parse_query
from picsift.store import USER_CAPTION_SPACE, Store
from tests.fakes import FakeModels

# Article 1 of the Universal Declaration of Human Rights in its official translations
# (ohchr.org): text we did not write, in five scripts.
UDHR_1 = {
    "en": "All human beings are born free and equal in dignity and rights. They are endowed "
    "with reason and conscience and should act towards one another in a spirit of brotherhood.",
    "de": "Alle Menschen sind frei und gleich an Würde und Rechten geboren. Sie sind mit "
    "Vernunft und Gewissen begabt und sollen einander im Geist der Brüderlichkeit begegnen.",
    "fr": "Tous les êtres humains naissent libres et égaux en dignité et en droits. Ils sont "
    "doués de raison et de conscience et doivent agir les uns envers les autres dans un "
    "esprit de fraternité.",
    "es": "Todos los seres humanos nacen libres e iguales en dignidad y derechos y, dotados "
    "como están de razón y conciencia, deben comportarse fraternalmente los unos con los "
    "otros.",
    "it": "Tutti gli esseri umani nascono liberi ed eguali in dignità e diritti. Essi sono "
    "dotati di ragione e di coscienza e devono agire gli uni verso gli altri in spirito di "
    "fratellanza.",
    "ru": "Все люди рождаются свободными и равными в своем достоинстве и правах. Они наделены "
    "разумом и совестью и должны поступать в отношении друг друга в духе братства.",
    "zh": "人人生而自由，在尊严和权利上一律平等。他们赋有理性和良心，并应以兄弟关系的精神相对待。",
    "ja": "すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等である。",
    "ko": "모든 인간은 태어날 때부터 자유로우며 그 존엄과 권리에 있어 동등하다.",
}


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.mark.parametrize("language", sorted(UDHR_1))
def test_real_sentences_are_told_apart(detector: LanguageDetector, language: str) -> None:
    found = detector.detect(UDHR_1[language])
    assert found.language == language and found.known


@pytest.mark.parametrize("text", ["red dress", "adidas", "Loro Parque", "beach", "42", ""])
def test_short_latin_queries_are_unknown_rather_than_guessed(
    detector: LanguageDetector, text: str
) -> None:
    assert detector.detect(text).language == "und"


def test_library_languages_need_a_share(detector: LanguageDetector) -> None:
    texts = [UDHR_1["en"]] * 9 + [UDHR_1["ru"]] + ["ok"] * 5
    assert detector.languages_of(texts) == {"en", "ru"}
    assert detector.languages_of(texts, min_share=0.2) == {"en"}


WEIGHTS = {"clip": 1.0, "caption": 1.0, "words": 1.0}


@pytest.mark.parametrize(
    ("language", "captions", "words"),
    [
        (Detected("ru", 1.0, "script"), frozenset({"en"}), 0.0),  # no caption in Russian
        (Detected("ru", 1.0, "script"), frozenset({"en", "ru"}), 1.0),  # some are
        (Detected("und", 0.3, "classifier"), frozenset({"en"}), 1.0),  # unsure: no change
        (Detected("de", 0.99, "classifier"), frozenset(), 1.0),  # captions' language unknown
    ],
)
def test_fusion_weights_follow_the_query_language(
    language: Detected, captions: frozenset[str], words: float
) -> None:
    adapted = adapt_weights(
        WEIGHTS, parse_query("красное платье"), 20.0, (0.6, 0.8), language, captions
    )
    assert adapted.weights == {**WEIGHTS, "words": words}
    assert bool(adapted.notes) == (words == 0.0)


@pytest.fixture
def library(tmp_path: Path):
    root = tmp_path / "lib"
    root.mkdir()
    for i in range(4):
        Image.new("RGB", (40, 30), (60 * i, 90, 30)).save(root / f"p{i}.png")
    settings = Settings(home=tmp_path / "home", batch_size=4, search_cutoff=0.0)
    models = FakeModels()
    store = Store(settings.home)
    Indexer(store, models, settings).run([root])
    yield store, SearchService(store, models, settings), root, models
    store.close()


def test_a_russian_query_finds_a_russian_peoples_caption_through_words(library) -> None:
    store, service, root, models = library
    captions = {
        str(root / "p0.png"): "Красное платье на вешалке у белой стены",
        str(root / "p1.png"): "Синие джинсы на деревянном полу",
        str(root / "p2.png"): "A red dress on a hanger",
    }
    store.catalog.set_user_captions(captions, USER_CAPTION_SPACE)
    sync_text_vectors(store.catalog, models)
    words_only = SearchOptions(limit=3, weights={"words": 1.0}, sources=("user",))
    page = service.search("красное платье", words_only)
    assert [Path(h.path).name for h in page.hits] == ["p0.png"]
    fused = service.search("красное платье", SearchOptions(limit=4, sources=("user",)))
    notes = fused.query["notes"]  # type: ignore[index]
    assert fused.weights["words"] > 0 and not any("words left out" in n for n in notes)
    assert fused.hits[0].channels["words"]["rank"] == 1


def test_a_russian_query_against_english_captions_leaves_words_out_and_says_why(
    library,
) -> None:
    _, service, _, _ = library
    page = service.search("красное платье", SearchOptions(limit=2, sources=("model",)))
    assert page.weights["words"] == 0.0
    notes = page.query["notes"]  # type: ignore[index]
    assert "words left out" in notes[0] and "ru" in notes[0] and "en" in notes[0]
    assert "read English only" in notes[1]  # the fake preset is not multilingual


class _SampleMissesRussian(LanguageDetector):
    """As if the caption sample held only English captions (one Russian among thousands)."""

    def languages_of(self, texts, min_share=0.1):  # type: ignore[no-untyped-def]
        return {"en"}


def test_a_russian_caption_the_sample_missed_keeps_words_for_russian(library) -> None:
    store, _, root, models = library
    captions = {str(root / f"p{i}.png"): f"a photo of a red dress number {i}" for i in (1, 2, 3)}
    captions[str(root / "p0.png")] = "Красное платье на вешалке"
    store.catalog.set_user_captions(captions, USER_CAPTION_SPACE)
    sync_text_vectors(store.catalog, models)
    settings = Settings(home=store.home, search_cutoff=0.0)
    service = SearchService(store, models, settings, languages=_SampleMissesRussian())
    page = service.search("красное платье", SearchOptions(limit=4, sources=("user",)))
    assert page.weights["words"] > 0  # "платье" is in a caption: Russian is here after all
    assert page.hits[0].path.endswith("p0.png") and "words" in page.hits[0].channels
    missing = service.search("синие джинсы", SearchOptions(limit=4, sources=("user",)))
    assert missing.weights["words"] == 0.0  # no caption holds these words
