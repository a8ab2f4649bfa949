"""Store every generated image's prompt agreement that is missing, after indexing.

Like the caption vectors (:mod:`picsift.indexer.text_vectors`), this runs as a sweep over
what the store holds: agreement compares a picture with a sample of the library, which only
exists once a batch is committed, and a killed run simply leaves work for the next one.
"""

from __future__ import annotations

from collections.abc import Callable

from picsift.models.base import ImageTextEmbedder
from picsift.prompts.agreement import check
from picsift.prompts.phrases import phrases
from picsift.store.ports import PromptRepository

SAMPLE = 512  # library pictures each prompt and phrase is compared with


def sync_agreement(
    prompts: PromptRepository,
    embedder: Callable[[], ImageTextEmbedder],
    space: str,
    *,
    support: float,
    batch: int = 32,
) -> int:
    """Check every stored prompt that has no agreement yet; returns how many were checked.

    ``embedder`` is called (the model loaded) only when there is work."""
    done = 0
    model: ImageTextEmbedder | None = None
    sample_ids, sample = None, None  # read once, and only when there is work
    while rows := prompts.missing_agreement(space, batch):
        if sample_ids is None or sample is None:
            sample_ids, sample = prompts.sample_vectors(space, SAMPLE + 1)
        model = model or embedder()
        vectors = prompts.vectors_of(space, [r.id for r in rows])
        names = [phrases(r.prompt) for r in rows]
        texts = [r.prompt for r in rows] + [p for found in names for p in found]
        encoded = model.embed_texts(texts)
        cursor = len(rows)
        results: dict[int, str] = {}
        for n, (row, found) in enumerate(zip(rows, names, strict=True)):
            others = sample[sample_ids != row.id][:SAMPLE] if len(sample) else sample
            agreement = check(
                encoded[n],
                encoded[cursor : cursor + len(found)],
                found,
                vectors[row.id],
                others,
                {
                    "caption": f"{row.caption} {row.user_caption}",
                    "tags": row.tags,
                },
                model=model.model_id,
                support=support,
            )
            cursor += len(found)
            results[row.id] = agreement.to_json()
        prompts.set_agreements(results)
        done += len(rows)
    return done
