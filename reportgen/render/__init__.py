"""Render a ResultDocument: typed view-model, then strict Jinja2 HTML, then WeasyPrint PDF.

``build_view`` is pure data; ``render_html`` returns one self-contained page (inline CSS and
SVG, heat-maps as embedded PNG, no external reference); ``render_pdf`` prints that page without
fetching anything; ``write_report`` writes both into a folder. Rendering reads only
:mod:`reportgen.results`. matplotlib and WeasyPrint load only when a chart, a heat-map or a PDF
is actually made.
"""

from reportgen.render.files import write_report, write_report_into
from reportgen.render.html import render_html
from reportgen.render.pdf import render_pdf
from reportgen.render.viewmodel import build_view
from reportgen.render.views import ReportMeta, ReportView

__all__ = [
    "ReportMeta",
    "ReportView",
    "build_view",
    "render_html",
    "render_pdf",
    "write_report",
    "write_report_into",
]
