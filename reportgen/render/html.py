"""Render the report as one self-contained HTML page: strict Jinja2, autoescape, inline CSS/SVG
and embedded PNG."""

from __future__ import annotations

import hashlib
import traceback
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from reportgen.errors import RenderError, ReportgenError
from reportgen.render.charts import Spec, chart_svg
from reportgen.render.markup import breakable, keep_intervals
from reportgen.render.viewmodel import build_view
from reportgen.render.views import ReportMeta
from reportgen.results.document import ResultDocument

PAGE_TEMPLATE = "base.html"
STYLESHEET = "report.css"


def templates_dir() -> Path:
    """The report templates shipped inside the package (``reportgen/templates/``; the
    repository's top-level ``templates`` is a link to it).

    Raises:
        RenderError: the folder does not exist.
    """
    path = Path(str(resources.files("reportgen") / "templates"))
    if not path.is_dir():
        raise RenderError(f"report templates folder {path} not found; reinstall reportgen")
    return path


def templates_digest(directory: Path | None = None) -> str:
    """sha256 over every file of the templates folder: its relative name and bytes, sorted.

    Recorded with each run, so a report says which templates drew it.

    Raises:
        RenderError: the folder does not exist or a file in it is unreadable.
    """
    root = directory or templates_dir()
    digest = hashlib.sha256()
    try:
        files = sorted((p.relative_to(root).as_posix(), p) for p in root.rglob("*") if p.is_file())
        for name, path in files:
            data = path.read_bytes()
            digest.update(f"{name}\0{len(data)}\0".encode())
            digest.update(data)
    except OSError as exc:
        raise RenderError(f"report templates folder {root} unreadable: {exc}") from exc
    return digest.hexdigest()


def make_environment(directory: Path | None = None) -> jinja2.Environment:
    """A Jinja2 environment over ``directory`` (default: :func:`templates_dir`).

    Autoescape is on for every template (our pages show strings that came from data) and
    undefined names raise instead of rendering as empty text. The ``svg`` filter draws a
    chart spec as inline SVG; ``breakable`` and ``keep_intervals`` say where a table cell's
    text may wrap (:mod:`reportgen.render.markup`).
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory or templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["svg"] = _svg
    env.filters["breakable"] = breakable
    env.filters["keep_intervals"] = keep_intervals
    return env


def _svg(spec: Spec) -> Markup:
    # chart_svg escapes every string it writes (matplotlib escapes text; ids are ours).
    return Markup(chart_svg(spec))


def render_template(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    """Render template ``name`` with ``context``.

    Raises:
        RenderError: the template is missing, malformed, or failed while rendering (for example
            it used a name the context does not define); the cause is chained.
    """
    try:
        return env.get_template(name).render(**context)
    except ReportgenError:
        raise
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"report template {exc.name!r} not found") from exc
    except jinja2.TemplateSyntaxError as exc:
        where = exc.name or name
        raise RenderError(
            f"report template {where!r} line {exc.lineno} is malformed: {exc.message}"
        ) from exc
    except Exception as exc:
        raise RenderError(f"rendering report template {_where(exc, name)} failed: {exc}") from exc


def _where(exc: BaseException, default: str) -> str:
    """The template (and line) where ``exc`` was raised, from Jinja's rewritten traceback."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".html"):
            return f"{Path(frame.filename).name!r} (line {frame.lineno})"
    return repr(default)


def render_html(doc: ResultDocument, meta: ReportMeta) -> str:
    """The whole report as one HTML page that references nothing outside itself.

    Raises:
        RenderError: a template is missing or failed, or a chart could not be drawn.
        MissingDependencyError: matplotlib is not installed.
    """
    directory = templates_dir()
    try:
        css = (directory / STYLESHEET).read_text(encoding="utf-8")
    except OSError as exc:
        raise RenderError(f"report stylesheet {directory / STYLESHEET} unreadable: {exc}") from exc
    view = build_view(doc, meta)
    env = make_environment(directory)
    # The stylesheet is ours, not data: it goes in unescaped.
    return render_template(env, PAGE_TEMPLATE, {"view": view, "css": Markup(css)})
