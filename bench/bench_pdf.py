"""Benchmark rendering a report's PDF, stage by stage (issue #12).

Run:  .venv/bin/python bench/bench_pdf.py [RESULTS.json ...] [--repeats R]

Renders each results document (default: the credit and medical examples, computed once with
``reportgen.pipeline.compute_results``) the way ``reportgen run`` does and prints its pages and
seconds: the view-model and HTML without charts, the charts (matplotlib SVG), WeasyPrint's
parsing and layout (``HTML.render``), and writing the PDF/A-3 with results.json embedded
(``render_pdf`` minus layout). Each figure is the best of ``--repeats`` runs, as wall time and
as this process's CPU time: on a shared machine the wall time also counts other programs' turns,
the CPU time only ours.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from reportgen.render import ReportMeta, build_view, render_html, render_pdf
from reportgen.render.charts import chart_svg
from reportgen.render.pdf import _refusing_fetcher
from reportgen.results.document import ResultDocument
from reportgen.results.io import RESULTS_FILE, canonical_json, load_results

ROOT = Path(__file__).resolve().parent.parent


def best(call, repeats: int):
    """``call()``'s value and its best wall and CPU seconds over ``repeats`` runs."""
    wall, cpu, value = np.inf, np.inf, None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        value = call()
        cpu = min(cpu, time.process_time() - start_cpu)
        wall = min(wall, time.perf_counter() - start)
    return value, np.array([wall, cpu])


def row(label: str, seconds: np.ndarray) -> str:
    return f"  {label:<47}{seconds[0]:6.2f} s {seconds[1]:6.2f} s"


def bench(document: ResultDocument, repeats: int) -> None:
    import weasyprint
    import weasyprint.urls

    meta = ReportMeta("v1", published_at=document.run.created_at)
    view = build_view(document, meta)
    specs = list(view.charts())
    _, charts = best(lambda: [chart_svg(spec) for spec in specs], repeats)
    html, page = best(lambda: render_html(document, meta), repeats)
    fetcher = _refusing_fetcher(weasyprint.urls)
    laid_out, layout = best(
        lambda: weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).render(), repeats
    )
    attachments = {RESULTS_FILE: canonical_json(document)}
    _, pdf = best(lambda: render_pdf(html, attachments=attachments), repeats)
    print(
        f"{document.policy.id}: {len(laid_out.pages)} pages, {len(html) / 1e6:.1f} MB HTML, "
        f"{html.count('<')} tags, {len(specs)} charts",
        f"  {'':<47}{'wall':>8}{'CPU':>9}",
        row("HTML (view-model + templates, charts included)", page),
        row("  of which charts", charts),
        row("WeasyPrint parse + layout", layout),
        row("PDF write (render_pdf minus layout)", pdf - layout),
        row("total HTML + PDF", page + pdf),
        sep="\n",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results", nargs="*", type=Path)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    if args.results:
        documents = [load_results(path) for path in args.results]
    else:
        from reportgen.pipeline import compute_results

        documents = [
            compute_results(ROOT / "policies" / f"{n}.yaml") for n in ("credit", "medical")
        ]
    for document in documents:
        bench(document, args.repeats)


if __name__ == "__main__":
    main()
