"""The facets picsift knows, in the order they run, and the description they make up.

The registry is built once from a list (``picsift.describe.facets``) and never changes. It
composes the typed :class:`Description` from the base and every facet's fields, answers
which facets run where, and turns a description into its searchable words.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

from pydantic import create_model

from picsift.describe.facets.base import MODEL_NEEDS, PER_IMAGE_NEEDS, Facet
from picsift.describe.model import DescriptionBase
from picsift.errors import PicsiftError


class UnknownFacetError(PicsiftError):
    """A facet name that no registered facet has."""


class FacetRegistry:
    def __init__(self, facets: Iterable[Facet]) -> None:
        self._facets: dict[str, Facet] = {}
        owners: dict[str, str] = {}
        for facet in facets:
            if facet.name in self._facets:
                raise ValueError(f"facet {facet.name!r} is registered twice")
            for name in facet.fields:
                if name in owners or name in DescriptionBase.model_fields:
                    raise ValueError(f"facet {facet.name!r}: field {name!r} is taken")
                owners[name] = facet.name
            self._facets[facet.name] = facet
        fields: dict[str, Any] = {
            n: spec for f in self._facets.values() for n, spec in f.fields.items()
        }
        self.description: type[DescriptionBase] = create_model(  # type: ignore[call-overload]
            "Description",
            __base__=DescriptionBase,
            __doc__="Everything known about one image: the caption and each facet's fields; "
            "a facet that could not be computed is empty and named in facets_missing.",
            **fields,
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self._facets)

    def __contains__(self, name: object) -> bool:
        return name in self._facets

    def __len__(self) -> int:
        return len(self._facets)

    def get(self, name: str) -> Facet | None:
        return self._facets.get(name)

    def __getitem__(self, name: str) -> Facet:
        return self._facets[name]

    def check_names(self, names: Iterable[str], extra: Sequence[str] = ()) -> None:
        """Refuse names no facet has (``extra``: other names the caller accepts)."""
        unknown = sorted(set(names) - set(self._facets) - set(extra))
        if unknown:
            known = ", ".join([*extra, *self._facets])
            raise UnknownFacetError(f"unknown facets {unknown}; known: {known}")

    def defaults(self, use: Literal["index", "describe"]) -> list[str]:
        return [n for n, f in self._facets.items() if use in f.default]

    def chosen(self, names: Sequence[str] | None, use: Literal["index", "describe"]) -> list[str]:
        """``names`` as given, or the facets computed by default for ``use``."""
        return list(names) if names is not None else self.defaults(use)

    def per_image(self, names: Iterable[str]) -> list[str]:
        """Of ``names``, the facets computed beside decoding, image by image, in order."""
        wanted = set(names)
        return [n for n, f in self._facets.items() if n in wanted and f.needs <= PER_IMAGE_NEEDS]

    def batched(self, names: Iterable[str]) -> list[str]:
        """Of ``names``, the facets computed on a batch with the models, in order."""
        wanted = set(names)
        return [
            n for n, f in self._facets.items() if n in wanted and not f.needs <= PER_IMAGE_NEEDS
        ]

    def image_only(self) -> list[str]:
        """Facets that need nothing but the image (cheap; every description tries them)."""
        return [n for n, f in self._facets.items() if f.needs == frozenset({"image"})]

    def needing(self, need: str, names: Iterable[str]) -> list[str]:
        wanted = set(names)
        return [n for n, f in self._facets.items() if n in wanted and need in f.needs]

    def needing_models(self, names: Iterable[str]) -> list[str]:
        """Of ``names``, the facets that need one of the preset's models."""
        wanted = set(names)
        return [n for n, f in self._facets.items() if n in wanted and f.needs & MODEL_NEEDS]

    def fields_of(self, name: str) -> tuple[str, ...]:
        facet = self._facets.get(name)
        return tuple(facet.fields) if facet is not None else ()

    def words(self, description: DescriptionBase) -> tuple[str | None, str | None]:
        """(labels, text read in the image) for the words channel, each None when empty."""
        labels: list[str] = []
        read: list[str] = []
        for facet in self._facets.values():
            found = [w for w in facet.words(description) if w]
            (labels if facet.word_kind == "labels" else read).extend(found)
        unique = list(dict.fromkeys(labels))
        return (" ".join(unique) or None, " ".join(read) or None)
