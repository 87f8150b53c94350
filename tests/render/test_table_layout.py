"""The printed tables: laid out by WeasyPrint, no cell breaks a word (or a score's interval)
across lines, and no cell's text runs into the next column.

The fixture's features are renamed to the credit data's longest column names, as the cohort
tables of the credit report print them when the policy gives no labels, and then given long
labels, as the example policy does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import weasyprint
from privacy_fixture import make_private_document
from render_fixture import META
from weasyprint.formatting_structure import boxes

from reportgen.render import render_html
from reportgen.render.markup import breakable, keep_intervals
from reportgen.results.document import ResultDocument

LONG_NAMES = {
    "income": "status_of_existing_checking_account",
    "debt_ratio": "installment_rate_in_percentage_of_disposable_income",
    "credit_history_months": "number_of_people_being_liable_to_provide_maintenance_for",
}
LABELS = {
    "status_of_existing_checking_account": "Checking account balance",
    "installment_rate_in_percentage_of_disposable_income": "Instalment rate (% of disposable "
    "income)",
    "number_of_people_being_liable_to_provide_maintenance_for": "People maintained (dependants)",
}
WORD_BREAKS = ("_", "-")
"""A line may end after an underscore (a raw column name's <wbr>) or a hyphen."""
CUT_ON_PURPOSE = ("path", "hash", "signature")
"""Cells whose hashes and paths are cut anywhere by design (they have no words)."""


def _document(*, labelled: bool) -> ResultDocument:
    text = make_private_document(dp=False, local_cases=True).model_dump_json()
    for short, long in LONG_NAMES.items():
        text = text.replace(f'"{short}"', f'"{long}"')
    doc = ResultDocument.model_validate(json.loads(text))
    if labelled:
        doc = doc.model_copy(update={"policy": doc.policy.model_copy(update={"labels": LABELS})})
    return doc


@dataclass(frozen=True)
class Cell:
    table: str
    text: str
    """The cell's text, white space collapsed."""
    lines: tuple[str, ...]
    """Its lines as laid out."""
    right: float
    """The right edge of its border box."""
    ink_right: float
    """The right edge of its furthest text."""


def _texts(box: boxes.Box) -> Iterator[boxes.TextBox]:
    if isinstance(box, boxes.TextBox):
        yield box
    for child in getattr(box, "children", ()) or ():
        yield from _texts(child)


def _cells(box: boxes.Box, table: str = "") -> Iterator[Cell]:
    if isinstance(box, boxes.TableBox) and box.element is not None:
        table = box.element.get("class") or "table"
    if isinstance(box, boxes.TableCellBox) and table:
        lines = tuple(
            "".join(t.text for t in _texts(line)).replace("\u200b", "").strip()
            for line in box.children
            if isinstance(line, boxes.LineBox)
        )
        texts = list(_texts(box))
        yield Cell(
            table=f"{table} / {box.element.get('class') or 'td'}",
            text=" ".join("".join(box.element.itertext()).split()),
            lines=tuple(line for line in lines if line),
            right=box.border_box_x() + box.border_width(),
            ink_right=max((t.position_x + t.width for t in texts), default=box.position_x),
        )
        return
    for child in getattr(box, "children", ()) or ():
        yield from _cells(child, table)


@pytest.fixture(scope="module", params=[False, True], ids=["column names", "labels"])
def cells(request: pytest.FixtureRequest) -> list[Cell]:
    html = render_html(_document(labelled=request.param), META)
    pages = weasyprint.HTML(string=html).render().pages
    return [cell for page in pages for cell in _cells(page._page_box)]


def _mid_word_breaks(cell: Cell) -> list[str]:
    """Each line end that falls between two letters or digits of a word: not at a space of
    the cell's text, nor after an underscore or hyphen. (A token without letters on one side,
    such as the fixture's ``<script>`` value, wider than its column, is cut as a last resort.)"""
    found, at = [], 0
    for line, following in zip(cell.lines, cell.lines[1:], strict=False):
        start = cell.text.find(line, at)
        if start < 0:  # a line of a nested block, whose text joins its neighbour's
            continue
        at = start + len(line)
        joined = cell.text[at - 1 : at + 1]
        if joined.isalnum() and len(joined) == 2 and not line.endswith(WORD_BREAKS):
            found.append(f"{line!r} | {following!r}")
    return found


def test_the_fixture_prints_its_long_names_in_narrow_columns(cells: list[Cell]) -> None:
    cohort = [c for c in cells if "cohort-table" in c.table and "top" in c.table]
    assert cohort and any(len(c.lines) > 1 for c in cohort)


def test_no_table_cell_breaks_a_word(cells: list[Cell]) -> None:
    broken = {
        c.table: _mid_word_breaks(c)
        for c in cells
        if _mid_word_breaks(c) and not any(word in c.table for word in CUT_ON_PURPOSE)
    }
    assert broken == {}


def test_no_cell_text_runs_into_the_next_column(cells: list[Cell]) -> None:
    overflowing = [
        f"{c.table}: {c.text!r} ends at {c.ink_right:.1f} past {c.right:.1f}"
        for c in cells
        if c.ink_right > c.right + 0.5
    ]
    assert overflowing == []


def test_intervals_stay_on_one_line(cells: list[Cell]) -> None:
    scores = [c for c in cells if re.search(r"\(\d\.\d+\u2013\d\.\d+\)", c.text)]
    assert scores
    for cell in scores:
        for line in cell.lines:
            assert line.count("(") == line.count(")"), (cell.text, cell.lines)


def test_the_break_filters_escape_what_they_mark_up() -> None:
    assert breakable("a_b<i>") == "a_<wbr>b&lt;i&gt;"
    assert keep_intervals("0.84 (0.81\u20130.87) <b>") == (
        '0.84 <span class="nowrap">(0.81\u20130.87)</span> &lt;b&gt;'
    )
