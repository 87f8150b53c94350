"""Write a rendered report to disk: ``report.html``, then ``report.pdf`` with its data embedded.

:func:`write_report` writes into a folder that someone else makes visible (the registry's
staging folder of a version); :func:`write_report_into` renders into a hidden folder inside its
target and moves the files into place, so that a failure leaves nothing half-written behind.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from reportgen.errors import RenderError
from reportgen.render.html import render_html
from reportgen.render.pdf import render_pdf
from reportgen.render.views import ReportMeta
from reportgen.results.document import ResultDocument
from reportgen.results.io import RESULTS_FILE, canonical_json

REPORT_HTML = "report.html"
REPORT_PDF = "report.pdf"
FORMATS = ("html", "pdf")


def write_report(
    folder: Path,
    document: ResultDocument,
    meta: ReportMeta,
    formats: Sequence[str] = FORMATS,
    *,
    attachments: Callable[[], Mapping[str, bytes]] | None = None,
) -> list[Path]:
    """Write the report's HTML and PDF/A-3 into ``folder``, the HTML first; returns the paths.

    The PDF embeds results.json and then the files ``attachments`` returns (name -> bytes). It
    is asked after the HTML is written, so a draft manifest it makes lists the HTML too.

    Raises:
        RenderError: rendering failed. OSError: a file could not be written (the caller knows
            whether that means nothing was published, or nothing was written).
    """
    html = render_html(document, meta)
    written = []
    if "html" in formats:
        written.append(_write_atomic(folder / REPORT_HTML, html.encode("utf-8")))
    if "pdf" in formats:
        embedded = {RESULTS_FILE: canonical_json(document)}
        embedded.update(attachments() if attachments is not None else {})
        pdf = render_pdf(
            html,
            attachments=embedded,
            attached_at=datetime.fromisoformat(document.run.created_at),
        )
        written.append(_write_atomic(folder / REPORT_PDF, pdf))
    return written


def write_report_into(out: Path, document: ResultDocument, meta: ReportMeta) -> list[Path]:
    """Render both formats into a hidden folder inside ``out``, then move the files into
    place, so that a failure (a full disk) leaves no half-written report behind.

    Raises:
        RenderError: rendering failed, or ``out`` could not be written; nothing was written.
    """
    staging: Path | None = None
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".render-", dir=out))
        written = write_report(staging, document, meta)
        return [path.replace(out / path.name) for path in written]
    except OSError as exc:
        raise RenderError(
            f"{out}: cannot write the report ({exc.strerror or exc}); nothing was written"
        ) from exc
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _write_atomic(path: Path, data: bytes) -> Path:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    partial.replace(path)
    return path
