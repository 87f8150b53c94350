"""Turn matplotlib's SVG document into a lean ``<svg>`` element that sits quietly inside an HTML
page and that WeasyPrint draws quickly.

matplotlib wraps every tick, label and artist in its own named ``<g>`` and draws each tick mark
and scatter dot as a ``<use>`` of a shared marker path. WeasyPrint styles and draws every node
and looks each ``<use>`` target up by walking the tree, so a chart's cost grows with its node
count, not with what it shows. Here the same drawing keeps only the nodes that change it:

- the XML declaration, DOCTYPE, metadata, comments and whitespace go;
- ``style`` attributes become presentation attributes (an HTML renderer would otherwise read
  matplotlib's style sheet as page CSS);
- a ``<use>`` of a marker path becomes that path, translated to the mark's place;
- a ``<g>`` that carries nothing but an id is replaced by its children;
- ids that nothing refers to are dropped, and the rest are prefixed so several charts share one
  page; the marker definitions no longer referred to are dropped with them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from xml.sax.saxutils import escape

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_SVG = f"{{{SVG_NS}}}"
_ROOT_STROKE = {"stroke-linejoin": "round", "stroke-linecap": "butt"}
"""What matplotlib's ``*{...}`` style sheet set; inherited from the root instead."""
_TEXT_TAGS = {f"{_SVG}text", f"{_SVG}tspan"}
_USE_KEEPS = {"clip-path", "mask", "filter", "transform", "opacity"}
"""A ``<use>`` carrying any of these applies it to its own coordinate system; it stays."""
_REFERENCE = re.compile(r"url\(#([^)]+)\)")


def inline_svg(document: str, prefix: str, label: str) -> str:
    """matplotlib's SVG ``document`` as one lean ``<svg class="chart">`` element: same drawing,
    ids prefixed by ``prefix``, ``label`` as its accessible name.

    Raises:
        ValueError: ``document`` is not well-formed XML or holds a name outside the SVG namespace.
    """
    try:
        root = ET.fromstring(document)
    except ET.ParseError as exc:
        raise ValueError(f"chart SVG is not well-formed XML: {exc}") from exc
    for node in root.iter():
        _presentation_attributes(node)
    markers = {node.attrib["id"]: node for node in root.iter(f"{_SVG}path") if "id" in node.attrib}
    _simplify(root, markers, _referenced(root))
    _prefix_references(root, prefix)
    named = {"class": "chart", "role": "img", "aria-label": label}
    root.attrib = {**named, **_ROOT_STROKE, **root.attrib}
    root.set("xmlns", SVG_NS)
    return "".join(_markup(root))


def _referenced(root: ET.Element) -> set[str]:
    """The ids that links and ``url(#...)`` values in ``root``'s subtree point at."""
    found: set[str] = set()
    for node in root.iter():
        for name, value in node.attrib.items():
            if name in (XLINK_HREF, "href") and value.startswith("#"):
                found.add(value[1:])
            else:
                found.update(_REFERENCE.findall(value))
    return found


def _simplify(node: ET.Element, markers: dict[str, ET.Element], referenced: set[str]) -> None:
    """Rewrite ``node``'s subtree in place as described in the module docstring, bar the ids."""
    children: list[ET.Element] = []
    for child in node:
        if child.tag in (f"{_SVG}metadata", f"{_SVG}style"):
            continue
        if child.tag == f"{_SVG}use":
            child = _marker_path(child, markers)
        _simplify(child, markers, referenced)
        if node.tag not in _TEXT_TAGS or not (child.tail or "").strip():
            child.tail = None
        naming_only = child.tag == f"{_SVG}g" and not set(child.attrib) - {"id"}
        if naming_only and child.get("id") not in referenced:
            children.extend(child)
        else:
            children.append(child)
    if node.tag not in _TEXT_TAGS and not (node.text or "").strip():
        node.text = None
    node[:] = children


def _marker_path(use: ET.Element, markers: dict[str, ET.Element]) -> ET.Element:
    """The path a ``<use>`` of a marker draws, as a path of its own; other uses unchanged.

    The path inherits the use's attributes and keeps its own where both set one, as SVG's
    cascade for ``<use>`` does; the use's x and y become a translation.
    """
    href = use.get(XLINK_HREF) or use.get("href") or ""
    marker = markers.get(href[1:]) if href.startswith("#") else None
    if marker is None or _USE_KEEPS & (set(use.attrib) | set(marker.attrib)):
        return use
    path = ET.Element(f"{_SVG}path")
    for name, value in use.attrib.items():
        if name not in (XLINK_HREF, "href", "x", "y", "id"):
            path.set(name, value)
    for name, value in marker.attrib.items():
        if name != "id":
            path.set(name, value)
    x, y = use.get("x", "0"), use.get("y", "0")
    if (x, y) != ("0", "0"):
        path.set("transform", f"translate({x} {y})")
    return path


def _presentation_attributes(node: ET.Element) -> None:
    """``style="a: b; c: d"`` as the attributes ``a="b" c="d"`` (the style wins, as in CSS)."""
    style = node.attrib.pop("style", None)
    for declaration in (style or "").split(";"):
        if ":" in declaration:
            name, value = declaration.split(":", 1)
            node.set(name.strip(), value.strip())


def _prefix_references(root: ET.Element, prefix: str) -> None:
    """Drop the definitions and ids nothing refers to any more and prefix the rest by
    ``prefix``; write links as plain ``href`` (SVG 2), so no xlink namespace is needed."""
    referenced = _referenced(root)
    for node in root.iter():
        for name, value in list(node.attrib.items()):
            if name in (XLINK_HREF, "href") and value.startswith("#"):
                del node.attrib[name]
                node.set("href", f"#{prefix}-{value[1:]}")
            elif "url(#" in value:
                node.set(name, _REFERENCE.sub(lambda m: f"url(#{prefix}-{m[1]})", value))
        name = node.attrib.pop("id", "")
        if name in referenced:
            node.set("id", f"{prefix}-{name}")
    for defs in root.iter(f"{_SVG}defs"):
        defs[:] = [child for child in defs if child.get("id")]
    for node in root.iter():
        node[:] = [c for c in node if c.tag != f"{_SVG}defs" or len(c)]


def _markup(node: ET.Element) -> Iterator[str]:
    """``node`` written as markup, its names without namespace (every name is SVG's)."""
    tag = _local(node.tag)
    attributes = "".join(
        f' {_local(name)}="{escape(value, {chr(34): "&quot;"})}"'
        for name, value in node.attrib.items()
    )
    if not len(node) and not node.text:
        yield f"<{tag}{attributes}/>"
        return
    yield f"<{tag}{attributes}>"
    yield escape(node.text or "")
    for child in node:
        yield from _markup(child)
        yield escape(child.tail or "")
    yield f"</{tag}>"


def _local(name: str) -> str:
    if name.startswith(_SVG):
        return name[len(_SVG) :]
    if name.startswith("{"):
        raise ValueError(f"chart SVG holds {name!r}, a name outside the SVG namespace")
    return name
