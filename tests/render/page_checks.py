"""Scan a rendered page: what could make a browser or renderer load something from elsewhere."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

URL_ATTRIBUTES = {
    "src",
    "href",
    "xlink:href",
    "srcset",
    "action",
    "data",
    "poster",
    "background",
    "formaction",
    "ping",
    "manifest",
}
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
FORBIDDEN_TAGS = {"link", "script", "iframe", "object", "embed", "base", "image"}
EMBEDDED_PNG = "data:image/png;base64,"
"""An ``<img>`` may only show a PNG the page carries itself (the heat-maps, #10)."""


class References(HTMLParser):
    """Every URL-bearing attribute, every xmlns value and every tag of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.namespaces: set[str] = set()
        self.tags: Counter[str] = Counter()
        self.ids: Counter[str] = Counter()
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        for name, value in attrs:
            if value is None:
                continue
            if name in URL_ATTRIBUTES:
                self.urls.append(value)
            elif name == "xmlns" or name.startswith("xmlns:"):
                self.namespaces.add(value)
            elif name == "id":
                self.ids[value] += 1
            self.urls.extend(re.findall(r"url\(\s*['\"]?([^'\")\s]*)", value))

    def handle_data(self, data: str) -> None:  # <style> content arrives here
        self.urls.extend(re.findall(r"url\(\s*['\"]?([^'\")\s]*)", data))


def external_references(page: str) -> list[str]:
    """What in ``page`` could make a renderer or browser load something from elsewhere."""
    found = References()
    found.feed(page)
    problems = [u for u in found.urls if not (u.startswith("#") or u.startswith("data:"))]
    problems += [f"<{tag}>" for tag in FORBIDDEN_TAGS if found.tags[tag]]
    problems += [
        f"<img src={src[:40]!r}>" for src in found.images if not src.startswith(EMBEDDED_PNG)
    ]
    problems += [f"@import in {m}" for m in re.findall(r"@import[^;]*", page)]
    # A URL may appear as text only as an SVG namespace name, which is an identifier.
    problems += [
        u
        for u in re.findall(r"(?:https?|ftp|file)://[^\s\"'<>)]*", page)
        if u not in (found.namespaces & NAMESPACES)
    ]
    return problems
