"""Print the report's HTML to PDF with WeasyPrint, never fetching anything from anywhere.

Page size, margins, the running header and "page X of Y" come from the @page rules of the
inlined stylesheet, so the HTML alone decides how the PDF looks.
"""

from __future__ import annotations

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


def _refusing_fetcher(urls: ModuleType) -> Any:
    """A WeasyPrint URL fetcher whose every fetch goes to :func:`refuse_url`.

    WeasyPrint 68 and later take a ``URLFetcher`` subclass; earlier versions take a function.
    ``refuse_url`` is looked up at fetch time, so a test can watch the refusals.
    """
    base = getattr(urls, "URLFetcher", None)
    if base is None:
        return lambda url, *args, **kwargs: refuse_url(url)

    class RefusingFetcher(base):  # type: ignore[misc, valid-type]  # base known at run time
        def fetch(self, url: str, headers: Any = None) -> NoReturn:
            refuse_url(url)

    return RefusingFetcher()


def render_pdf(html: str) -> bytes:
    """The PDF of a page made by :func:`reportgen.render.render_html`.

    WeasyPrint gets no base URL and a fetcher that refuses every URL (:func:`refuse_url`), so a
    stray reference can never reach the network or the file system: WeasyPrint logs a warning
    and leaves the resource out.

    Raises:
        RenderError: WeasyPrint failed to lay out or write the document.
        MissingDependencyError: WeasyPrint is not installed.
    """
    weasyprint = require("weasyprint")
    fetcher = _refusing_fetcher(require("weasyprint.urls"))
    try:
        pdf = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
    except RenderError:
        raise
    except Exception as exc:
        raise RenderError(f"WeasyPrint could not print the report to PDF: {exc}") from exc
    if not isinstance(pdf, bytes):
        raise RenderError("WeasyPrint returned no PDF bytes for the report")
    return pdf
