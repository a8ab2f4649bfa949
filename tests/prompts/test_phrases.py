"""Phrases out of prompts as people type them into generators (styles seen in public prompt
collections such as DiffusionDB and Civitai: tag lists with weights and LoRA calls, quality
boilerplate, plain sentences)."""

from __future__ import annotations

from picsift.prompts.phrases import MAX_PHRASES, head, phrases, singular


def test_tag_list_with_weights_loras_and_boilerplate() -> None:
    prompt = (
        "masterpiece, best quality, (red dress:1.3), [hat], <lora:add_detail:0.8>, 8k, "
        "highly detailed, golden retriever on a sofa in a hotel room"
    )
    assert phrases(prompt) == ["red dress", "hat", "golden retriever", "sofa", "hotel room"]


def test_sentence_prompts_split_on_prepositions() -> None:
    assert phrases("a golden retriever sitting next to a cup of coffee") == [
        "golden retriever",
        "cup",
        "coffee",
    ]
    assert phrases("A cozy hotel room at night, warm lamps, city view through the window") == [
        "cozy hotel room",
        "night",
        "warm lamps",
        "city view",
        "window",
    ]


def test_anime_style_tags_keep_content_drop_counts_and_poses() -> None:
    found = phrases("score_9, score_8_up, 1girl, solo, long hair, blue eyes, looking at viewer")
    assert found == ["1girl", "long hair", "blue eyes"]


def test_bounded_and_never_empty_strings() -> None:
    assert phrases("") == [] and phrases(", , ((:1.2)) <>") == []
    many = ", ".join(f"thing{i}" for i in range(100))
    assert len(phrases(many)) == MAX_PHRASES
    assert phrases("x" * 100_000) == ["x" * 4000]  # one word, cut with the prompt


def test_head_noun_is_singular() -> None:
    assert head("warm lamps") == "lamp" and head("red dresses") == "dress"
    assert singular("puppies") == "puppy" and singular("glass") == "glass"
    assert singular("bus") == "bus" and head("") == ""
