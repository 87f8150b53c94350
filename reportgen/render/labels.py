"""Display names of columns: the policy's ``data.labels``, which results.json records beside
the column names it keeps everywhere else. Every place of the report that names a column to a
reader asks a :class:`Labels` for the name to show."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Labels:
    """Column name -> display name; a column without a label shows as its name."""

    names: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, column: str) -> str:
        """The display name of ``column``."""
        return self.names.get(column, column)

    def column(self, column: str) -> str:
        """How a sentence names ``column``: its display name, or ``column NAME`` when it has
        none."""
        return self.names.get(column, f"column {column}")

    def words(self, column: str) -> str:
        """How a heading or clause names ``column``: its display name, or its name with spaces
        for underscores (``age in years``) when it has none."""
        return self.names.get(column, column.replace("_", " "))

    def title(self, column: str) -> str:
        """:meth:`words`, capitalised: ``Age in years``."""
        words = self.words(column)
        return words[:1].upper() + words[1:]

    def within(self, rule: str, column: str) -> str:
        """``rule``, a text about ``column`` such as ``duration_in_month > 24.00``, with the
        column's first mention shown by its display name."""
        return rule.replace(column, self(column), 1)

    def relabel(self, text: str, columns: Iterable[str] | None = None) -> str:
        """``text``, a sentence the engine wrote with column names (``age_in_years``) or their
        words (``age in years``), naming each labelled column of ``columns`` by its display
        name; only whole names are replaced, longest first.

        Without ``columns``, only labelled names with an underscore are looked for, in their
        raw form: a column named with a plain word (``purpose``) cannot be told from that word
        in a sentence."""
        if columns is None:
            forms = {c: c for c in self.names if "_" in c}
        else:
            named = [c for c in columns if c in self.names]
            forms = {form: c for c in named for form in (c, c.replace("_", " "))}
        if not forms:
            return text
        alternatives = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True))
        pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")
        return pattern.sub(lambda m: self.names[forms[m.group(0)]], text)

    def each(self, columns: Iterable[str]) -> list[str]:
        """The display names of ``columns``, in order."""
        return [self(column) for column in columns]


NO_LABELS = Labels()
"""Every column shows as its name."""
