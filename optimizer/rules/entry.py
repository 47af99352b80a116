"""A catalogue entry: one rule as the engine selects it, without importing the rule's module."""

from __future__ import annotations

import sys
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import Phase, Rule
    from .triggers import Trigger


class Entry:
    """One rule as the engine selects it: enough for selection, pragmas and triggers, and to load it."""

    __slots__ = ("code", "default_enabled", "module", "name", "phase", "trigger")

    def __init__(
        self,
        code: str,
        name: str,
        module: str,
        phase: Phase,
        trigger: Trigger | None,
        default_enabled: bool = True,
    ) -> None:
        self.code = code
        self.name = name
        self.module = module  # under optimizer.rules, e.g. "packages.pip_no_cache_dir"
        self.phase = phase
        self.trigger = trigger
        self.default_enabled = default_enabled

    def load(self) -> type[Rule]:
        """The rule class (importing its module registers it)."""
        from .base import registered

        name = f"{__package__}.{self.module}"
        if name not in sys.modules:  # import_module's own lookup costs more than the dict's
            import_module(name)
        return registered()[self.code]

    def __repr__(self) -> str:
        return f"Entry({self.code} {self.name})"
