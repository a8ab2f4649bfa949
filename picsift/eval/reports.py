"""Turn each evaluation's results into a :class:`~picsift.eval.report.Report`."""

from __future__ import annotations

from dataclasses import asdict

from picsift.eval import plots
from picsift.eval.captions import CaptionsReport
from picsift.eval.clusters import ClusterScores
from picsift.eval.ocr import OcrScores
from picsift.eval.report import Report, table
from picsift.eval.retrieval import Scores

CAPTION_METRICS = ("BLEU-1", "BLEU-4", "METEOR", "ROUGE-L", "CIDEr")


def retrieval_report(
    results: list[Scores], models: dict[str, str], meaningless: bool, queries_file: str
) -> Report:
    rows = [
        [r.name, ",".join(f"{k}={v:g}" for k, v in r.weights.items())]
        + [r.recall.get(k) for k in (1, 5, 10)]
        + [r.mrr]
        for r in results
    ]
    sections = [
        f"{results[0].queries} queries from `{queries_file}`; recall@K is the share of queries "
        "with a relevant image in the top K.",
        table(["channel", "weights", "R@1", "R@5", "R@10", "MRR"], rows),
    ]
    for split in ("by_kind", "by_lang"):
        groups = sorted(getattr(results[0], split))
        if len(groups) > 1:
            rows = [
                [r.name]
                + [getattr(r, split)[g]["R@1"] for g in groups]
                + [getattr(r, split)[g]["R@10"] for g in groups]
                for r in results
            ]
            header = ["channel", *(f"{g} R@1" for g in groups), *(f"{g} R@10" for g in groups)]
            sections.append(table(header, rows))
    figure = plots.recall_at_k({r.name: r.recall for r in results}, "Recall@K per channel")
    return Report(
        "retrieval",
        "Retrieval: each channel alone and fused",
        models,
        meaningless,
        {"queries_file": queries_file, "results": [asdict(r) for r in results]},
        sections,
        [("recall", figure)],
    )


def clusters_report(
    scores: ClusterScores, models: dict[str, str], meaningless: bool, labels_file: str
) -> Report:
    summary = table(
        ["images", "categories", "NMI", "ARI", "homogeneity", "completeness", "coverage"],
        [
            [
                scores.images,
                scores.categories,
                scores.nmi,
                scores.ari,
                scores.homogeneity,
                scores.completeness,
                scores.coverage,
            ]
        ],
    )
    names = table(
        ["id", "category name", "size", "majority label", "purity"],
        [[c.id, c.name, c.size, c.majority_label, c.purity] for c in scores.per_category],
    )
    labels = sorted({label for row in scores.confusion.values() for label in row})
    rows = sorted(scores.confusion, key=lambda r: (r == "Unsorted", r))
    matrix = [[scores.confusion[r].get(label, 0) for label in labels] for r in rows]
    figure = plots.heatmap(matrix, rows, labels, "Categories (rows) x labels (columns)")
    return Report(
        "clusters",
        "Categories against known labels",
        models,
        meaningless,
        {"labels_file": labels_file, **scores.to_dict()},
        [
            f"Labels from `{labels_file}`. Unsorted images count as one more cluster.",
            summary,
            "Each category's automatic name beside its majority label:",
            names,
        ],
        [("confusion", figure)],
    )


def captions_report(report: CaptionsReport, references_file: str) -> Report:
    runs = report.runs
    scores = table(
        ["preset", "captioner", *CAPTION_METRICS, "CLIPScore", "s/image", "peak RSS MB"],
        [
            [r.preset, r.captioner]
            + [r.metrics.get(m) for m in CAPTION_METRICS]
            + [r.clip_score, r.seconds_per_image, r.peak_rss_mb]
            for r in runs
        ],
    )
    stats = table(
        ["preset", "mean words", "vocabulary", "type/token", "distinct-2"],
        [
            [
                r.preset,
                r.stats["mean_words"],
                r.stats["vocabulary"],
                r.stats["type_token_ratio"],
                r.stats["distinct_2"],
            ]
            for r in runs
        ],
    )
    sections = [
        f"{report.images} images with references from `{references_file}`"
        + (f"; {len(report.skipped)} skipped (unreadable)." if report.skipped else "."),
        scores,
        "Reference-free measures (no labels needed):",
        stats,
    ]
    notes = {str(r.metrics["note"]) for r in runs if r.metrics.get("note")}
    sections += [f"Note: {n}" for n in sorted(notes)]
    if report.agreement:
        sections.append(
            "Agreement between captioners (ROUGE-L of one's captions against the other's):\n\n"
            + table(["pair", "ROUGE-L"], [[k, v] for k, v in report.agreement.items()])
        )
    examples = []
    for file in sorted(runs[0].captions)[:5]:
        examples.append([file, *(r.captions.get(file, "") for r in runs)])
    sections.append("Examples:\n\n" + table(["file", *(r.preset for r in runs)], examples))
    figure = plots.bars(
        {r.preset: {m: r.metrics.get(m) or 0.0 for m in CAPTION_METRICS} for r in runs},
        "Reference metrics per captioner",
        "score",
    )
    models = {f"captioner ({r.preset})": r.captioner for r in runs}
    models |= {f"CLIPScore model ({r.preset})": r.embedder for r in runs}
    return Report(
        "captions",
        "Captioners side by side",
        models,
        any(r.meaningless for r in runs),
        {"references_file": references_file, **report.to_dict(with_captions=True)},
        sections,
        [("metrics", figure)],
    )


def ocr_report(scores: OcrScores, references_file: str) -> Report:
    return Report(
        "ocr",
        "Text in images (OCR)",
        {"ocr": "rapidocr-onnxruntime PP-OCRv4 (real weights, shipped in the wheel)"},
        False,
        {"references_file": references_file, **scores.to_dict()},
        [
            f"{scores.images} images from `{references_file}`.",
            table(
                ["char accuracy", "word accuracy", "s/image", "invented on no-text pictures"],
                [
                    [
                        scores.char_accuracy,
                        scores.word_accuracy,
                        scores.seconds_per_image,
                        f"{scores.invented} of {scores.no_text_images}",
                    ]
                ],
            ),
            "Worst files:\n\n"
            + table(
                ["file", "expected", "read", "char accuracy"],
                [[w["file"], w["expected"], w["read"], w["char_accuracy"]] for w in scores.worst],
            ),
        ],
    )
