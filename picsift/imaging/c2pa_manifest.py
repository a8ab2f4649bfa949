"""What a C2PA manifest (Content Credentials) says made a picture: the generator's name and
whether an action declares ``trainedAlgorithmicMedia``, read with c2pa-python (the Content
Authenticity Initiative's library), never parsed by hand.

Runs inside the decoding sandbox's worker, like every parser of untrusted bytes: the manifest
is JUMBF and CBOR inside the file. The library is imported only for files that hold the
``c2pa`` label at all, so other decodes pay nothing. A signature that does not chain to a
trusted root (most files today) is still read; its state is recorded, not hidden.
"""

from __future__ import annotations

import io
import json
from typing import Any

from picsift.imaging.generation import AI_SOURCE_TYPES, MAX_JSON, Generation

MIME = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
    "AVIF": "image/avif",
    "HEIF": "image/heic",
}
_LABEL = b"c2pa"


def read_c2pa(data: bytes, fmt: str) -> Generation | None:
    """The manifest's facts, None when the file has none; problems instead of exceptions."""
    if _LABEL not in data or fmt not in MIME:
        return None
    try:
        import c2pa
    except ImportError:
        return Generation(problems=("C2PA: the file has a manifest; install c2pa-python",))
    try:
        reader = c2pa.Reader(MIME[fmt], io.BytesIO(data))
        try:
            text, state = reader.json(), reader.get_validation_state()
        finally:
            reader.close()
    except Exception as exc:  # the library's errors for missing or broken manifests
        message = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        if "ManifestNotFound" in type(exc).__name__ or "not found" in message.lower():
            return None
        return Generation(problems=(f"C2PA: unreadable manifest ({message})",))
    if len(text) > MAX_JSON:
        return Generation(problems=("C2PA: manifest too large; not read",))
    try:
        return _facts(json.loads(text), str(state or "unknown"))
    except (ValueError, TypeError, AttributeError) as exc:
        return Generation(problems=(f"C2PA: malformed manifest store ({type(exc).__name__})",))


def _facts(store: dict[str, Any], state: str) -> Generation:
    manifests = store.get("manifests") or {}
    active = manifests.get(store.get("active_manifest")) or {}
    if not isinstance(active, dict):
        return Generation(problems=("C2PA: malformed manifest store",))
    generator: str | None = None
    ai = False
    for assertion in active.get("assertions") or []:
        if not isinstance(assertion, dict) or not str(assertion.get("label", "")).startswith(
            "c2pa.actions"
        ):
            continue
        for action in (assertion.get("data") or {}).get("actions") or []:
            if not isinstance(action, dict):
                continue
            source = str(action.get("digitalSourceType") or "").rstrip("/").rsplit("/", 1)[-1]
            if source in AI_SOURCE_TYPES:
                ai = True
                agent = action.get("softwareAgent")
                name = agent.get("name") if isinstance(agent, dict) else agent
                generator = generator or (str(name)[:200] if name else None)
    info = active.get("claim_generator_info") or []
    if generator is None and info and isinstance(info[0], dict) and info[0].get("name"):
        generator = str(info[0]["name"])[:200]
    signer = active.get("signature_info") or {}
    parameters = {"C2PA": state[:40]}
    if isinstance(signer, dict) and signer.get("issuer"):
        parameters["C2PA signer"] = str(signer["issuer"])[:200]
    return Generation(generator=generator if ai else None, ai_generated=ai, parameters=parameters)


def merged(found: Generation, manifest: Generation | None) -> Generation:
    """The file's own metadata first; the manifest fills gaps and can only add the AI flag."""
    if manifest is None:
        return found
    return Generation(
        found.prompt,
        found.negative,
        found.generator or manifest.generator,
        found.ai_generated or manifest.ai_generated,
        {**manifest.parameters, **found.parameters},
        found.problems + manifest.problems,
    )
