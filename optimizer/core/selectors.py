"""How users name rules: ``ALL``, a code (``DO102``), a code prefix (``DO1``) or a name (``add-to-copy``).

The same selectors serve ``--select``/``--ignore``, configuration files and ``# dockopt: ignore=``
pragmas; anything with a ``code`` and a ``name`` (a rule, a catalogue entry, a finding) can be matched.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class Named(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...


def matches(item: Named, selector: str) -> bool:
    """``ALL``, a code, a code prefix or a rule name."""
    selector = selector.strip()
    if selector.upper() == "ALL":
        return True
    if selector.upper().startswith("DO"):
        return item.code.startswith(selector.upper())
    return item.name == selector.lower()


def split_selectors(values: Iterable[str] | None) -> list[str]:
    """``["DO1,DO2", "add-to-copy"]`` → ``["DO1", "DO2", "add-to-copy"]`` (commas as separators)."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]
