"""History commands: history (the index of published versions)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
