"""The PDF is PDF/A-3b and embeds the files it is given, dated by the caller."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pypdf

from reportgen.render import render_pdf

PAGE = "<html><head><title>Archive</title></head><body><p>report</p></body></html>"
FILES = {"results.json": b'{"kind": "reportgen.results"}\n', "manifest.json": b"{}\n"}


def read(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


def catalog(reader: pypdf.PdfReader) -> Any:
    """The document catalog, untyped: pypdf types nested objects loosely."""
    return reader.root_object


def test_the_pdf_declares_pdf_a_3b() -> None:
    reader = read(render_pdf(PAGE))
    xmp = catalog(reader)["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="B"' in xmp
    assert catalog(reader)["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    assert reader.attachments == {}


def test_attachments_are_embedded_as_data_and_listed_once() -> None:
    reader = read(render_pdf(PAGE, attachments=FILES))
    assert {name: data[0] for name, data in reader.attachments.items()} == FILES
    root = catalog(reader)
    associated = [ref.get_object() for ref in root["/AF"]]
    assert [spec["/UF"] for spec in associated] == ["results.json", "manifest.json"]
    assert {spec["/AFRelationship"] for spec in associated} == {"/Data"}


def test_attachments_are_dated_by_the_caller_never_by_the_clock() -> None:
    when = datetime(2025, 3, 4, 9, 15, tzinfo=UTC)
    for given, stamp in ((when, "D:20250304091500Z"), (None, "D:19700101000000Z")):
        reader = read(render_pdf(PAGE, attachments=FILES, attached_at=given))
        for ref in catalog(reader)["/AF"]:
            params = ref.get_object()["/EF"]["/F"].get_object()["/Params"]
            assert (params["/CreationDate"], params["/ModDate"]) == (stamp, stamp)
