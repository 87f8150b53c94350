"""Print the report's HTML to PDF with WeasyPrint, never fetching anything from anywhere.

Page size, margins, the running header and "page X of Y" come from the @page rules of the
inlined stylesheet, so the HTML alone decides how the PDF looks. The only resources the page
may carry are PNG images embedded in it as ``data:`` URLs (the heat-maps); any other URL is
refused. The PDF is PDF/A-3b, the
archival profile that allows embedded files, so the data behind the report (``results.json``)
and a manifest can travel inside it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, datetime
from types import ModuleType
from typing import Any, NoReturn

from reportgen._lazy import require
from reportgen.errors import RenderError


def refuse_url(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    """Refuse to fetch ``url``: a report is self-contained by design. WeasyPrint asks this for
    every URL it meets.

    Raises:
        RenderError: always, naming the URL.
    """
    raise RenderError(f"the report refers to {url!r}; reports may not load external resources")


EMBEDDED_PNG = "data:image/png;base64,"
"""The one kind of URL a report may hold: a PNG carried in the page itself (a heat-map)."""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def embedded_png(url: str) -> bytes | None:
    """The bytes of a ``data:image/png;base64,...`` URL, None for any other URL.

    Raises:
        RenderError: the URL claims to carry a PNG but its base64 is malformed or the bytes are
            not a PNG.
    """
    if not url.startswith(EMBEDDED_PNG):
        return None
    try:
        data = base64.b64decode(url[len(EMBEDDED_PNG) :], validate=True)
    except binascii.Error as exc:
        raise RenderError(f"an embedded image's base64 is malformed: {exc}") from exc
    if not data.startswith(PNG_SIGNATURE):
        raise RenderError("an embedded image claims to be a PNG but is not one")
    return data


def _refusing_fetcher(urls: ModuleType) -> Any:
    """A WeasyPrint URL fetcher that hands over the PNGs embedded in the page and sends every
    other fetch to :func:`refuse_url`.

    WeasyPrint 68 and later take a ``URLFetcher`` subclass; earlier versions take a function.
    ``refuse_url`` is looked up at fetch time, so a test can watch the refusals.
    """
    base = getattr(urls, "URLFetcher", None)
    if base is None:

        def fetch_embedded(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
            data = embedded_png(url)
            if data is None:
                refuse_url(url)
            return {"string": data, "mime_type": "image/png"}

        return fetch_embedded
    response = urls.URLFetcherResponse

    class RefusingFetcher(base):  # type: ignore[misc, valid-type]  # base known at run time
        def fetch(self, url: str, headers: Any = None) -> Any:
            data = embedded_png(url)
            if data is None:
                refuse_url(url)
            return response(url, body=data, headers={"Content-Type": "image/png"})

    return RefusingFetcher()


PDF_VARIANT = "pdf/a-3b"
"""ISO 19005-3 level B: archival PDF that may embed files of any type."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def render_pdf(
    html: str,
    *,
    attachments: Mapping[str, bytes] | None = None,
    attached_at: datetime | None = None,
) -> bytes:
    """The PDF/A-3b of a page made by :func:`reportgen.render.render_html`.

    WeasyPrint gets no base URL and a fetcher that refuses every URL (:func:`refuse_url`) but
    the PNGs embedded in the page itself, so a stray reference can never reach the network or
    the file system: WeasyPrint logs a warning and leaves the resource out.

    Args:
        html: the page to print.
        attachments: files to embed, name -> bytes, in this order, each declared as the data
            the document is made from (PDF/A-3 relationship ``Data``).
        attached_at: the creation and modification time recorded for each attachment; the
            Unix epoch when omitted, so the same inputs always give the same bytes.

    Raises:
        RenderError: WeasyPrint failed to lay out or write the document.
        MissingDependencyError: WeasyPrint is not installed.
    """
    weasyprint = require("weasyprint")
    fetcher = _refusing_fetcher(require("weasyprint.urls"))
    when = attached_at or _EPOCH
    try:
        embedded = [
            weasyprint.Attachment(
                string=data,
                name=name,
                description=f"{name}, embedded by reportgen",
                created=when,
                modified=when,
                relationship="Data",
                url_fetcher=fetcher,
            )
            for name, data in (attachments or {}).items()
        ]
        page = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher)
        pdf = page.write_pdf(
            pdf_variant=PDF_VARIANT, attachments=embedded, finisher=_list_each_file_once
        )
    except RenderError:
        raise
    except Exception as exc:
        raise RenderError(f"WeasyPrint could not print the report to PDF: {exc}") from exc
    if not isinstance(pdf, bytes):
        raise RenderError("WeasyPrint returned no PDF bytes for the report")
    return pdf


def _list_each_file_once(document: Any, pdf: Any) -> None:
    """Drop repeated entries from the catalog's associated files (``/AF``).

    WeasyPrint 70 lists each embedded file there twice (once from the name tree, once from its
    file specification); PDF/A-3 wants each associated file once.
    """
    listed = pdf.catalog.get("AF")
    if not listed:
        return
    unique = list(dict.fromkeys(listed))
    listed.clear()
    listed.extend(unique)
