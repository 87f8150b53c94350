"""The PDF: A4 pages with a running header and page numbers, printed without fetching anything."""

from __future__ import annotations

import base64
import io
from typing import Any

import pypdf
import pytest
from render_fixture import META, TITLE, make_document

from reportgen.errors import RenderError
from reportgen.render import pdf, render_html, render_pdf

A4_POINTS = (595, 842)


class _RecordingFetcher:
    """Wraps the real fetcher: remembers each URL asked for and what the fetcher did."""

    def __init__(self) -> None:
        self._refuse = pdf.refuse_url
        self.asked: list[str] = []
        self.refusals: list[BaseException] = []

    def __call__(self, url: str, *args: Any, **kwargs: Any) -> Any:
        self.asked.append(url)
        try:
            return self._refuse(url, *args, **kwargs)
        except RenderError as exc:
            self.refusals.append(exc)
            raise


@pytest.fixture(scope="module")
def printed() -> tuple[bytes, _RecordingFetcher]:
    fetcher = _RecordingFetcher()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf, "refuse_url", fetcher)
        data = render_pdf(render_html(make_document(), META))
    return data, fetcher


@pytest.fixture(scope="module")
def reader(printed: tuple[bytes, _RecordingFetcher]) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(printed[0]))


def test_the_pdf_has_several_a4_pages(
    printed: tuple[bytes, _RecordingFetcher], reader: pypdf.PdfReader
) -> None:
    assert printed[0].startswith(b"%PDF")
    assert len(reader.pages) >= 2
    for page in reader.pages:
        size = (round(float(page.mediabox.width)), round(float(page.mediabox.height)))
        assert size == A4_POINTS


def test_the_pdf_text_names_the_report(reader: pypdf.PdfReader) -> None:
    first = reader.pages[0].extract_text()
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert TITLE in first
    assert "v3" in first
    assert "debt_ratio" in text
    assert f"page 1 of {len(reader.pages)}" in first
    assert f"page {len(reader.pages)} of {len(reader.pages)}" in reader.pages[-1].extract_text()


def test_later_pages_carry_the_running_header(reader: pypdf.PdfReader) -> None:
    second = reader.pages[1].extract_text()
    assert TITLE in second
    assert "credit-default \u00b7 v3 \u00b7 2025-03-04 09:20 UTC" in second


def test_the_report_asks_for_no_url(printed: tuple[bytes, _RecordingFetcher]) -> None:
    assert printed[1].asked == []


def test_an_external_image_is_refused_not_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    fetcher = _RecordingFetcher()
    monkeypatch.setattr(pdf, "refuse_url", fetcher)
    url = "http://example.invalid/x.png"
    data = render_pdf(f'<html><body><p>Logo</p><img src="{url}"></body></html>')
    assert data.startswith(b"%PDF")
    assert fetcher.asked == [url]
    assert len(fetcher.refusals) == 1 and url in str(fetcher.refusals[0])


def test_the_fetcher_refuses_every_scheme() -> None:
    for url in ("https://example.invalid/a.css", "file:///etc/passwd", "data:text/plain,hi"):
        with pytest.raises(RenderError, match="may not load external resources"):
            pdf.refuse_url(url)


def test_only_pngs_embedded_in_the_page_get_past_the_fetcher() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    url = pdf.EMBEDDED_PNG + base64.b64encode(png).decode()
    assert pdf.embedded_png(url) == png
    assert pdf.embedded_png("data:text/plain,hi") is None
    assert pdf.embedded_png("data:image/svg+xml;base64,PHN2Zy8+") is None
    assert pdf.embedded_png("https://example.invalid/x.png") is None
    with pytest.raises(RenderError, match="base64 is malformed"):
        pdf.embedded_png(pdf.EMBEDDED_PNG + "%%%")
    with pytest.raises(RenderError, match="claims to be a PNG but is not one"):
        pdf.embedded_png(pdf.EMBEDDED_PNG + base64.b64encode(b"GIF89a").decode())


def test_an_embedded_png_is_printed_and_no_url_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fetcher = _RecordingFetcher()
    monkeypatch.setattr(pdf, "refuse_url", fetcher)
    png = _tiny_png()
    page = (
        f'<html><body><img src="{pdf.EMBEDDED_PNG}{base64.b64encode(png).decode()}"></body></html>'
    )
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(page)))
    assert fetcher.asked == []
    assert [image.image.size for image in reader.pages[0].images] == [(2, 1)]


def _tiny_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 1), (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_weasyprint_failures_become_render_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    import weasyprint

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("layout exploded")

    monkeypatch.setattr(weasyprint, "HTML", broken)
    with pytest.raises(RenderError, match="could not print the report to PDF") as info:
        render_pdf("<p>x</p>")
    assert isinstance(info.value.__cause__, ValueError)
