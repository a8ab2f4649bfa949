"""``picsift eval``: quality numbers on labelled data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from picsift.cli.common import (
    HomeOpt,
    JsonOpt,
    ModelsOpt,
    err,
    out,
    preset_for,
    settings_for,
    split_list,
    user_errors,
    warn_meaningless,
)
from picsift.cli.search import ChannelsOpt, WeightsOpt, parse_weights
from picsift.models.provider import ModelProvider

ReportOpt = Annotated[
    Path | None,
    typer.Option("--report", help="Also write NAME.json, NAME.md and PNG plots into this folder."),
]

eval_app = typer.Typer(help="Measure quality on labelled data.", no_args_is_help=True)


@eval_app.command("retrieval")
def retrieval(
    queries: Annotated[Path, typer.Option(help='JSONL: {"query": ..., "relevant": [files]}.')],
    root: Annotated[
        Path | None, typer.Option(help="Folder the relevant files are relative to.")
    ] = None,
    channels: ChannelsOpt = None,
    weights: WeightsOpt = None,
    sources: Annotated[
        str, typer.Option(help="Captions the text channels read: model,user.")
    ] = "model,user",
    cutoff: Annotated[float, typer.Option(min=0.0, max=0.99)] = 0.0,
    home: HomeOpt = None,
    models: ModelsOpt = None,
    report: ReportOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Recall@1/5/10 and MRR for each channel alone and for their fusion."""
    from picsift.eval.retrieval import evaluate, load_queries, to_json
    from picsift.search import SearchService
    from picsift.search.channels import CHANNELS
    from picsift.store import Store

    with user_errors():
        settings = settings_for(home)
        chosen = split_list(channels) or list(CHANNELS)
        fused = parse_weights(weights, None) or settings.search_weights
        items = load_queries(queries)
        with Store.open(settings) as store:
            preset = preset_for(settings, models, store)
            service = SearchService(store, ModelProvider(settings, preset), settings)
            results = evaluate(
                service,
                store,
                items,
                channels=chosen,
                fused_weights=fused,
                root=root,
                sources=tuple(split_list(sources) or ()),
                cutoff=cutoff,
            )
    text_model = preset.text_embedder.repo if preset.text_embedder else None
    used = {"clip": preset.embedder.repo, "caption": text_model, "preset": preset.name}
    if preset.meaningless and "clip" in chosen:
        err.print(
            f"note: preset '{preset.name}' has random image weights: the clip channel's numbers "
            "(and any fusion including it) measure mechanics only."
        )
    if report is not None:
        from picsift.eval.reports import retrieval_report

        built = retrieval_report(
            results, {k: str(v) for k, v in used.items()}, preset.meaningless, str(queries)
        )
        _write(built, report)
    if as_json:
        out.print_json(json.dumps(to_json(results, used)))
        return
    out.print(f"models: {used}   queries: {results[0].queries}", highlight=False)
    table = Table("channel", "weights", "R@1", "R@5", "R@10", "MRR")
    for r in results:
        w = ",".join(f"{k}={v:g}" for k, v in r.weights.items())
        table.add_row(r.name, w, *(f"{r.recall[k]:.3f}" for k in (1, 5, 10)), f"{r.mrr:.3f}")
    out.print(table)
    for split in ("by_kind", "by_lang"):
        groups = sorted(getattr(results[0], split))
        if len(groups) > 1:
            table = Table("channel", *(f"{g} R@1 / R@10 / MRR" for g in groups))
            for r in results:
                part = getattr(r, split)
                cells = [
                    f"{part[g]['R@1']:.3f} / {part[g]['R@10']:.3f} / {part[g]['MRR']:.3f}"
                    for g in groups
                ]
                table.add_row(r.name, *cells)
            out.print(table)
    for r in results:
        if r.adapted:
            out.print(
                f"{r.name}: the words weight was lowered on {r.adapted} of {r.queries} queries "
                "(descriptions as long as the captions, or a language no caption is in; "
                "`picsift search --explain` says why for one query)",
                highlight=False,
            )
    failed = {text: reason for r in results for text, reason in r.failed}
    if failed:
        err.print(f"{len(failed)} queries were refused and count as misses, e.g.:")
        for text, reason in list(failed.items())[:5]:
            err.print(f"  {text!r}: {reason}", highlight=False, soft_wrap=True)


@eval_app.command("clusters")
def clusters(
    labels: Annotated[Path, typer.Option(help="CSV with header file,label.")],
    root: Annotated[
        Path | None, typer.Option(help="Folder the labelled files are relative to.")
    ] = None,
    home: HomeOpt = None,
    models: ModelsOpt = None,
    report: ReportOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """NMI, ARI, homogeneity, completeness and coverage of the current categories."""
    from picsift.eval.clusters import evaluate_clusters, load_labels
    from picsift.store import IMAGE_SPACE, Store

    with user_errors():
        settings = settings_for(home)
        with Store.open(settings) as store:
            preset = preset_for(settings, models, store)
            scores = evaluate_clusters(store, load_labels(labels), root)
            embedder = store.images.space_model(IMAGE_SPACE) or preset.embedder.model_id
        if report is not None:
            from picsift.eval.reports import clusters_report

            used = {"embedder (store)": embedder, "preset": preset.name}
            _write(clusters_report(scores, used, preset.meaningless, str(labels)), report)
    if as_json:
        out.print_json(json.dumps(scores.to_dict()))
        return
    out.print(
        f"images {scores.images}  categories {scores.categories}  NMI {scores.nmi:.3f}  "
        f"ARI {scores.ari:.3f}  homogeneity {scores.homogeneity:.3f}  completeness "
        f"{scores.completeness:.3f}  coverage {scores.coverage:.3f}",
        highlight=False,
    )
    table = Table("id", "name", "size", "majority label", "purity")
    for c in scores.per_category:
        table.add_row(str(c.id), c.name, str(c.size), c.majority_label, f"{c.purity:.2f}")
    out.print(table)


@eval_app.command("captions")
def captions(
    references: Annotated[
        Path, typer.Option(help='JSONL: {"file": ..., "captions": [...]} per image.')
    ],
    images: Annotated[Path, typer.Option(help="Folder the files are relative to.")],
    models: Annotated[
        str | None, typer.Option("--models", "-m", help="Presets to compare, e.g. default,blip.")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N images.")] = None,
    home: HomeOpt = None,
    report: ReportOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """BLEU, METEOR, ROUGE-L, CIDEr, CLIPScore, speed and memory of captioners side by side."""
    from picsift.eval.captions import evaluate_captions, load_references

    with user_errors():
        settings = settings_for(home)
        chosen: list[str | None] = [*(split_list(models) or [])] or [None]
        presets = [preset_for(settings, name) for name in chosen]
        for preset in presets:
            warn_meaningless(preset)
        refs = load_references(references)[:limit]
        result = evaluate_captions(
            presets, refs, images, settings, progress=lambda m: err.print(m, highlight=False)
        )
        if report is not None:
            from picsift.eval.reports import captions_report

            _write(captions_report(result, str(references)), report)
    if as_json:
        out.print_json(json.dumps(result.to_dict()))
        return
    names = ("BLEU-1", "BLEU-4", "METEOR", "ROUGE-L", "CIDEr")
    table = Table("preset", *names, "CLIPScore", "s/image", "peak MB", "words")
    for r in result.runs:
        table.add_row(
            r.preset,
            *(f"{r.metrics[m]:.3f}" if r.metrics.get(m) is not None else "-" for m in names),
            f"{r.clip_score:.3f}",
            f"{r.seconds_per_image:.2f}",
            str(r.peak_rss_mb or "-"),
            f"{r.stats['mean_words']:.1f}",
        )
    out.print(table)
    for pair, value in result.agreement.items():
        out.print(f"agreement {pair}: ROUGE-L {value:.3f}", highlight=False)


@eval_app.command("ocr")
def ocr(
    references: Annotated[Path, typer.Option(help='JSONL: {"file": ..., "text": ...}.')],
    images: Annotated[Path, typer.Option(help="Folder the files are relative to.")],
    home: HomeOpt = None,
    report: ReportOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Character and word accuracy of the text facet (OCR) against known text."""
    from picsift.eval.ocr import evaluate_ocr, load_text_references

    with user_errors():
        settings = settings_for(home)
        scores = evaluate_ocr(load_text_references(references), images, settings)
        if report is not None:
            from picsift.eval.reports import ocr_report

            _write(ocr_report(scores, str(references)), report)
    if as_json:
        out.print_json(json.dumps(scores.to_dict()))
        return
    out.print(
        f"images {scores.images}  character accuracy {scores.char_accuracy:.3f}  word accuracy "
        f"{scores.word_accuracy:.3f}  {scores.seconds_per_image:.2f} s/image  text invented on "
        f"{scores.invented} of {scores.no_text_images} pictures without text",
        highlight=False,
    )


def _write(report: Any, folder: Path) -> None:
    written = report.write(folder)
    err.print(f"report: {', '.join(str(p) for p in written)}", highlight=False)
