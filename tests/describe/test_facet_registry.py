"""The facet protocol: a facet is one module plus its registration, and every consumer (the
typed description, the runner, the search words, merging) follows the registry."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest
from PIL import Image

from picsift.describe.facets import FACETS, FacetBatch, FacetUnavailable
from picsift.describe.facets.base import ImageFacet, field_of
from picsift.describe.facets.registry import FacetRegistry, UnknownFacetError
from picsift.describe.facets.runner import FacetRunner
from picsift.describe.facets.tools import FacetTools
from picsift.describe.model import DescriptionBase
from picsift.describe.templates import TemplateRenderer


def _brightness(image: Image.Image) -> dict[str, Any]:
    grey = image.convert("L").resize((8, 8))
    mean = float(np.asarray(grey).mean()) / 255
    return {"light_words": ["bright"] if mean > 0.6 else ["dark"] if mean < 0.3 else []}


def _words(description: DescriptionBase) -> list[str]:
    return list(field_of(description, "light_words") or [])


TOY = ImageFacet(
    name="light",
    fields={"light_words": (list[str], [])},
    of_image=_brightness,
    to_words=_words,
)


class _Refuses:  # the protocol written out by hand, as a model facet would be
    name = "refuses"
    needs = frozenset({"clip"})
    fields: ClassVar = {"refused": (str | None, None)}
    default = frozenset({"index"})
    word_kind = "labels"

    def check(self, tools: FacetTools) -> None: ...

    def warm(self, tools: FacetTools) -> None: ...

    def compute(self, batch: FacetBatch) -> list[dict[str, Any]]:
        raise FacetUnavailable("no detector here")

    def words(self, description: DescriptionBase) -> list[str]:
        return []


@pytest.fixture
def registry() -> FacetRegistry:
    return FacetRegistry([*(FACETS[n] for n in FACETS), TOY, _Refuses()])


def test_a_registered_facet_joins_the_typed_description(registry: FacetRegistry) -> None:
    fields = registry.description.model_fields
    assert {"light_words", "refused", "colours", "tags", "caption", "facets_missing"} <= set(fields)
    schema = registry.description.model_json_schema()
    assert "light_words" in schema["properties"]
    assert registry.defaults("index")[-2:] == ["light", "refuses"]
    assert "light" in registry.image_only() and registry.batched(["refuses"]) == ["refuses"]


def test_the_runner_computes_it_and_the_words_channel_gets_its_words(
    registry: FacetRegistry,
) -> None:
    runner = FacetRunner(FacetTools(), registry)
    white = Image.new("RGB", (32, 32), "white")
    described = runner.per_image(white, ["light", "colours"])
    assert field_of(described, "light_words") == ["bright"]
    assert described.facets_missing.get("composition") == "not computed"
    labels, read = registry.words(described)
    assert labels is not None and "bright" in labels.split() and "white" in labels.split()
    assert read is None
    (refused,) = runner.batched([described], [white], ["refuses"])
    assert refused.facets_missing["refuses"] == "no detector here"
    text = TemplateRenderer().render("json", described)
    assert '"light_words"' in text


def test_unknown_names_and_clashing_fields_are_refused(registry: FacetRegistry) -> None:
    with pytest.raises(UnknownFacetError, match="unknown facets \\['nope'\\]"):
        FacetRunner(FacetTools(), registry).check(["light", "nope"])
    with pytest.raises(ValueError, match="registered twice"):
        FacetRegistry([TOY, TOY])
    clash = ImageFacet(name="other", fields={"light_words": (list[str], [])}, of_image=_brightness)
    with pytest.raises(ValueError, match="field 'light_words' is taken"):
        FacetRegistry([TOY, clash])


def test_a_failing_image_facet_is_recorded_not_raised() -> None:
    def broken(image: Image.Image) -> dict[str, Any]:
        raise RuntimeError("boom")

    registry = FacetRegistry(
        [ImageFacet(name="b", fields={"b": (int | None, None)}, of_image=broken)]
    )
    described = FacetRunner(FacetTools(), registry).per_image(Image.new("RGB", (4, 4)), ["b"])
    assert described.facets_missing == {"b": "RuntimeError: boom"}
