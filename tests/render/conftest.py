"""Fixtures for the rendering tests: the hand-built credit ResultDocument and report meta."""

from __future__ import annotations

import pytest
from render_fixture import META, make_document

from reportgen.render import ReportMeta
from reportgen.results.document import ResultDocument


@pytest.fixture
def doc() -> ResultDocument:
    return make_document()


@pytest.fixture
def meta() -> ReportMeta:
    return META
