"""Jinja filters that decide where the text of a table cell may break, so that a narrow
column wraps a long name between its parts and never inside a word or a number's interval."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_INTERVAL = re.compile(r"\([^()]*\)")


def breakable(text: object, after: str = "_") -> Markup:
    """``text``, escaped, with a break opportunity (``<wbr>``) after each character of
    ``after``, so a raw column name such as ``status_of_existing_checking_account`` (or, with
    ``after="._"``, a layer path such as ``features.conv1``) wraps between its parts."""
    escaped = str(escape(text))
    return Markup(re.sub(f"([{re.escape(after)}])", r"\1<wbr>", escaped))


def keep_intervals(text: object) -> Markup:
    """``text``, escaped, with each bracketed part kept on one line: a score may
    wrap before its bracketed interval, never inside it."""
    escaped = str(escape(text))
    return Markup(_INTERVAL.sub(lambda m: f'<span class="nowrap">{m.group(0)}</span>', escaped))
