from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from picsift.cluster import (
    NamingWeights,
    best_phrase,
    class_tfidf,
    make_unique,
    name_categories,
)
from picsift.cluster.ctfidf import STOP_WORDS, phrases
from picsift.cluster.naming import CategoryName
from picsift.models.base import EmbedderBase, ImageTextEmbedder
from picsift.models.zeroshot import (
    LabelBank,
    LabelBanks,
    embed_labels,
    load_vocabulary,
    score_labels,
)

REPO = Path(__file__).resolve().parents[2]

SNEAKERS = [
    "A pair of white sneakers on a wooden floor.",
    "The image shows black sneakers with white laces.",
    "Running sneakers in blue on green grass.",
    "Close-up of red sneakers on a white shelf.",
    "Two sneakers next to a white box.",
]
DOGS = [
    "A golden retriever playing in the park.",
    "A golden retriever lying on a white sofa.",
    "The image shows a golden retriever puppy on grass.",
    "A golden retriever and a ball on a beach.",
]
BEACH = [
    "A sandy beach at sunset with waves.",
    "Palm trees on a tropical beach.",
    "People walking on the beach at sunset.",
    "A beach umbrella on white sand.",
]

CONCEPTS = ["sneaker", "shoe", "dog", "retriever", "beach", "sunset", "pizza", "car"]


class ConceptClip(EmbedderBase):
    """Fake CLIP: a text's vector has a 1 for each concept word it contains, so the
    centroid ``onehot(concept)`` ranks labels made of that concept first."""

    model_id = "fake:concept-clip"
    dim = len(CONCEPTS) + 2

    def __init__(self) -> None:
        self.texts_seen = 0

    def _preprocess_images(self, images: Sequence[object]) -> None:
        raise NotImplementedError

    def _forward_images(self, batch: object) -> np.ndarray:
        raise NotImplementedError

    def _preprocess_texts(self, texts: Sequence[str]) -> list[str]:
        return [t.lower() for t in texts]

    def _forward_texts(self, batch: list[str]) -> np.ndarray:
        self.texts_seen += len(batch)
        out = np.full((len(batch), self.dim), 0.05, np.float32)
        for i, text in enumerate(batch):
            for j, concept in enumerate(CONCEPTS):
                if concept in text:
                    out[i, j] = 1.0
            out[i, -1] = 0.3 if "photo" in text else 0.0  # templates differ a little
        return out


class RandomClip(ConceptClip):
    """A meaningless model (like the random-weight tiny preset): vectors from a text hash."""

    model_id = "fake:random-clip"

    def _forward_texts(self, batch: list[str]) -> np.ndarray:
        return np.stack(
            [np.random.default_rng(sum(map(ord, t))).standard_normal(self.dim) for t in batch]
        ).astype(np.float32)


VOCAB = ["sneaker", "dress shoe", "dog", "golden retriever", "beach", "beach at sunset", "pizza"]


def onehot(*concepts: str) -> np.ndarray:
    vec = np.zeros(ConceptClip.dim, np.float32)
    for concept in concepts:
        vec[CONCEPTS.index(concept)] = 1.0
    return vec / np.linalg.norm(vec)


def test_phrases_never_span_stop_words_or_punctuation() -> None:
    got = phrases("A dog on the beach, golden retriever; a t-shirt.", STOP_WORDS)
    assert got == ["dog", "beach", "golden", "retriever", "golden retriever", "t-shirt"]


def test_ctfidf_finds_the_distinctive_word() -> None:
    terms = class_tfidf({0: SNEAKERS, 1: DOGS, 2: BEACH})
    assert terms[0][0].text == "sneakers"
    assert terms[2][0].text == "beach"
    assert terms[0][0].coverage == 1.0 and terms[0][0].share == 1.0
    # "white" is in every category: frequent but not distinctive, so never first
    assert all(t[0].text != "white" for t in terms.values())
    phrase = best_phrase(terms[1])
    assert phrase is not None and phrase.text == "golden retriever"


def test_ctfidf_handles_empty_and_stop_word_only_captions() -> None:
    assert class_tfidf({0: [], 1: ["the image shows a"]}) == {0: [], 1: []}


def test_names_from_captions_alone() -> None:
    names = name_categories({0: SNEAKERS, 1: DOGS, 2: BEACH})
    assert [names[i].name for i in range(3)] == ["sneakers", "golden retriever", "beach"]
    for n in names.values():
        assert n.sources == ["captions"] and 0.0 < n.confidence <= 1.0
        assert n.name in n.keywords or n.name.split()[-1] in n.keywords


def test_prompt_ensembled_label_bank_is_cached(tmp_path: Path) -> None:
    model = ConceptClip()
    assert isinstance(model, ImageTextEmbedder)
    templates = ("a photo of a {}.", "a picture of {}.")
    banks = LabelBanks(tmp_path)
    bank = banks.get(model, VOCAB, templates)
    assert bank.matrix.shape == (len(VOCAB), model.dim)
    assert np.allclose(np.linalg.norm(bank.matrix, axis=1), 1.0, atol=1e-5)
    assert model.texts_seen == 2 * len(VOCAB)  # every label through every template
    assert banks.get(model, VOCAB, templates) is bank and model.texts_seen == 2 * len(VOCAB)
    banks.get(model, [*VOCAB, "car"], templates)
    assert model.texts_seen > 2 * len(VOCAB)  # another vocabulary is another entry
    seen = model.texts_seen
    fresh = LabelBanks(tmp_path).get(model, VOCAB, templates)  # a new process: from disk
    assert model.texts_seen == seen and np.array_equal(fresh.matrix, bank.matrix)


def test_zero_shot_ranks_the_known_label_first() -> None:
    bank = embed_labels(ConceptClip(), VOCAB)
    scores = score_labels(bank, np.stack([onehot("sneaker"), onehot("pizza")]))
    assert scores[0].labels[0] == "sneaker" and scores[1].labels[0] == "pizza"
    assert 0.0 <= scores[0].confidence <= 1.0 and scores[0].cosines[0] > scores[0].cosines[1]


def test_clip_names_without_captions() -> None:
    bank = embed_labels(ConceptClip(), VOCAB)
    cents = {0: onehot("sneaker"), 1: onehot("pizza")}
    names = name_categories({}, cents, bank)
    assert names[0].name == "sneaker" and names[0].sources == ["clip"]
    assert names[1].name == "pizza"


def test_clip_label_confirmed_by_captions_wins() -> None:
    bank = embed_labels(ConceptClip(), VOCAB)
    cents = {0: onehot("sneaker"), 1: onehot("dog", "retriever"), 2: onehot("beach", "sunset")}
    names = name_categories({0: SNEAKERS, 1: DOGS, 2: BEACH}, cents, bank)
    assert names[0].name == "sneaker"  # the vocabulary's wording, confirmed by "sneakers"
    assert names[0].sources == ["clip", "captions"]
    assert names[1].name == "golden retriever"
    assert names[2].name in {"beach", "beach at sunset"}
    alone = name_categories({0: SNEAKERS, 1: DOGS, 2: BEACH})
    for label in names:
        assert names[label].confidence >= alone[label].confidence - 1e-6


def test_meaningless_clip_muted_by_weight_leaves_caption_names() -> None:
    bank = embed_labels(RandomClip(), VOCAB)
    rng = np.random.default_rng(0)
    cents = {i: rng.standard_normal(RandomClip.dim).astype(np.float32) for i in range(3)}
    cents = {i: v / np.linalg.norm(v) for i, v in cents.items()}
    docs = {0: SNEAKERS, 1: DOGS, 2: BEACH}
    muted = name_categories(docs, cents, bank, weights=NamingWeights(clip=0.0))
    assert [muted[i].name for i in range(3)] == ["sneakers", "golden retriever", "beach"]
    assert all(n.sources == ["captions"] for n in muted.values())
    mixed = name_categories(docs, cents, bank)  # default weights: still usable and unique
    assert len({n.name for n in mixed.values()}) == 3


def test_duplicate_names_get_their_distinctive_keyword() -> None:
    # two categories CLIP sees as the same thing; their captions tell them apart
    white = [f"white sneakers on a {place}" for place in ("floor", "bed", "table", "shelf")]
    black = [f"black sneakers on a {place}" for place in ("floor", "bed", "table", "shelf")]
    bank = embed_labels(ConceptClip(), VOCAB)
    cents = {0: onehot("sneaker"), 1: onehot("sneaker"), 2: onehot("beach")}
    names = name_categories({0: white, 1: black, 2: BEACH}, cents, bank)
    assert names[0].name == "sneaker (white)"
    assert names[1].name == "sneaker (black)"
    assert names[2].name == "beach"
    # captions alone already differ: c-TF-IDF makes the colour part of the name
    alone = name_categories({0: white, 1: black})
    assert {alone[0].name, alone[1].name} == {"white sneakers", "black sneakers"}


def test_numbered_names_are_the_last_resort() -> None:
    same = ["sneakers"] * 3
    names = name_categories({0: same, 1: same, 2: same})
    assert sorted(n.name for n in names.values()) == ["sneakers", "sneakers 2", "sneakers 3"]
    named = {0: CategoryName("beach", ["sand"], 0.5, ["captions"])}
    assert make_unique(named, taken=["beach"])[0].name == "beach (sand)"


def test_load_vocabulary(tmp_path: Path) -> None:
    path = tmp_path / "v.txt"
    path.write_text("# header\nHot  Dog\n\nbeach # trailing comment\nhot dog\n  \n", "utf-8")
    assert load_vocabulary(path) == ["hot dog", "beach"]


def test_general_vocabulary_is_large_clean_and_covers_the_basics() -> None:
    labels = load_vocabulary(REPO / "data" / "vocabularies" / "general.txt")
    assert len(labels) >= 2000 and len(labels) == len(set(labels))
    assert all(label == label.lower().strip() for label in labels)
    for must in ("beach at sunset", "hotel bedroom", "sneaker", "flat lay", "kitchen", "pizza"):
        assert must in labels


def test_label_bank_is_a_plain_value_and_must_match_the_space() -> None:
    bank = LabelBank("m", ("a",), np.ones((1, 2), np.float32))
    assert score_labels(bank, np.zeros((0, 2), np.float32)) == []
    with pytest.raises(ValueError, match="2-d but the categories are 3-d"):
        score_labels(bank, np.ones((1, 3), np.float32))


def test_name_clustering_names_leaves_and_parents_uniquely() -> None:
    from picsift.cluster import ClusterParams, fit_clusters, name_clustering
    from tests.cluster.synthetic import nested

    vectors, truth, _ = nested(seed=0, groups=3, subs=2, per=40)
    ids = np.arange(len(vectors)) + 500
    topics = [
        ("footwear", "white sneakers"),
        ("footwear", "leather boots"),
        ("food", "pepperoni pizza"),
        ("food", "ramen noodles"),
        ("outdoors", "sandy beach"),
        ("outdoors", "mountain lake"),
    ]
    places = ["on a table", "in the sun", "at night", "close to a wall", "in a room"]
    captions = {
        int(i): f"{topics[t][0]} photo: {topics[t][1]} {places[n % len(places)]}"
        for n, (i, t) in enumerate(zip(ids, truth, strict=True))
    }
    params = ClusterParams(min_cluster_size=15, selection_method="leaf", parent_count=3)
    clustering = fit_clusters(ids, vectors, params)
    assert clustering.n_leaves == 6 and clustering.n_parents == 3

    names = name_clustering(clustering, captions)
    assert set(names) == set(range(9))
    assert len({n.name for n in names.values()}) == 9
    leaf_names = {names[leaf].name for leaf in clustering.leaf_labels}
    assert {"white sneakers", "leather boots", "pepperoni pizza", "ramen noodles"} <= leaf_names
    assert {names[p].name for p in clustering.parent_labels} == {"footwear", "food", "outdoors"}
