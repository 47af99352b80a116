"""What a rule is: a code, a name, a summary, its docs, and a check that yields findings.

A rule never edits text. It returns findings; a finding may carry a Fix (text edits plus an
applicability), and the engine decides which fixes to apply, applies them, re-parses and loops.
"""

from __future__ import annotations

import enum
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from ..settings import Settings
    from ..syntax import Dockerfile, Instruction
    from .catalogue import Entry

DOC_SECTIONS = ("What it does", "Why", "Example", "Fix safety", "References")
CODE_RE = re.compile(r"^DO\d{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class Applicability(enum.Enum):
    """How sure a fix is to keep the image's behaviour (ruff's Applicability)."""

    SAFE = "safe"  # applied by default
    UNSAFE = "unsafe"  # may change behaviour; needs --unsafe-fixes
    DISPLAY_ONLY = "display-only"  # shown, never applied

    @property
    def rank(self) -> int:
        return {"safe": 0, "unsafe": 1, "display-only": 2}[self.value]


@dataclass(frozen=True, order=True)
class Edit:
    """Replace ``text[start:end]`` with ``replacement``; offsets index the text the rule saw."""

    start: int
    end: int
    replacement: str

    @classmethod
    def insert(cls, at: int, text: str) -> Edit:
        return cls(at, at, text)

    @classmethod
    def delete(cls, start: int, end: int) -> Edit:
        return cls(start, end, "")


@dataclass(frozen=True)
class Fix:
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE

    @property
    def span(self) -> tuple[int, int]:
        return min(e.start for e in self.edits), max(e.end for e in self.edits)


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    message: str  # one line: what is wrong and what the fix does
    line: int
    column: int
    anchors: tuple[int, ...]  # first lines of the instructions it concerns (pragmas look here)
    fix: Fix | None = None

    @property
    def applicability(self) -> Applicability:
        return self.fix.applicability if self.fix else Applicability.DISPLAY_ONLY


@dataclass(frozen=True)
class Context:
    """What a rule may look at: the tree, its text, where it came from, and the settings."""

    tree: Dockerfile
    text: str
    settings: Settings
    path: Path | None = None  # the Dockerfile's path (None for stdin without --stdin-filename)
    context_dir: Path | None = None  # the build context, when known

    @cached_property
    def _line_starts(self) -> list[int]:
        return [0, *(match.end() for match in re.finditer("\n", self.text))]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a text offset, counted the way editors count."""
        line = bisect_right(self._line_starts, offset)
        column = offset - self._line_starts[line - 1] + 1
        if line == 1 and self.tree.bom:
            column -= len(self.tree.bom)
        return line, column


class Rule:
    """Subclass, set the class attributes, implement ``check``, decorate with ``@register``.

    The module docstring is the rule's documentation and must have the sections in DOC_SECTIONS.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    safety: ClassVar[Applicability]  # the usual applicability; a finding may differ
    default_enabled: ClassVar[bool] = True
    # Paths (globs) this rule's fixes may remove from the final image, e.g. package caches.
    # `dockopt verify` allows differences there and attributes them to the rule.
    removes: ClassVar[tuple[str, ...]] = ()

    def check(self, ctx: Context) -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def docs(cls) -> str:
        import sys

        return (sys.modules[cls.__module__].__doc__ or "").strip()

    def finding(
        self,
        ctx: Context,
        instruction: Instruction,
        message: str,
        edits: list[Edit] | tuple[Edit, ...] = (),
        applicability: Applicability | None = None,
        *,
        offset: int | None = None,
        also: tuple[Instruction, ...] = (),
    ) -> Finding:
        """A finding anchored at ``instruction`` (and ``also``), with a fix when ``edits`` are given."""
        line, column = ctx.position(instruction.keyword_start if offset is None else offset)
        fix = Fix(tuple(sorted(edits)), applicability or self.safety) if edits else None
        return Finding(
            code=self.code,
            name=self.name,
            message=message,
            line=line,
            column=column,
            anchors=(instruction.line, *(other.line for other in also)),
            fix=fix,
        )


class _Registry:
    """The registered rules, and whether ``all_rules()`` has imported every module yet."""

    def __init__(self) -> None:
        self.rules: dict[str, type[Rule]] = {}
        self.loaded = False


_REGISTRY = _Registry()


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: adds the rule to the catalogue (pyupgrade-style self-registration)."""
    if not CODE_RE.match(cls.code):
        raise ValueError(f"bad rule code {cls.code!r}")
    if not NAME_RE.match(cls.name):
        raise ValueError(f"rule names are kebab-case: {cls.name!r}")
    if cls.code in _REGISTRY.rules and _REGISTRY.rules[cls.code] is not cls:
        raise ValueError(f"duplicate rule code {cls.code}")
    _REGISTRY.rules[cls.code] = cls
    return cls


def registered() -> dict[str, type[Rule]]:
    """The rules registered so far, by code: the modules imported yet, and rules registered by others
    (a plugin, a test). Unlike ``all_rules()`` this imports nothing."""
    return dict(_REGISTRY.rules)


def all_rules() -> list[type[Rule]]:
    """Every rule, by code. Importing the rule modules is what registers them.

    The engine does not call this on its common path: it selects from ``catalogue.CATALOGUE`` and
    imports only the modules whose rules can fire (see ``optimizer/rules/catalogue.py``).
    """
    if not _REGISTRY.loaded:
        import importlib
        import pkgutil

        from .. import rules as package

        for module in pkgutil.iter_modules(package.__path__):
            if not module.name.startswith("_") and module.name not in ("base", "catalogue"):
                importlib.import_module(f"{package.__name__}.{module.name}")
        _REGISTRY.loaded = True
    return [_REGISTRY.rules[code] for code in sorted(_REGISTRY.rules)]


def matches(rule: type[Rule] | Finding | Entry, selector: str) -> bool:
    """``ALL``, a code (``DO102``), a code prefix (``DO1``) or a rule name (``add-to-copy``)."""
    selector = selector.strip()
    if selector.upper() == "ALL":
        return True
    if selector.upper().startswith("DO"):
        return rule.code.startswith(selector.upper())
    return rule.name == selector.lower()


def known_selector(selector: str) -> bool:
    """A selector that names at least one rule: a shipped one (from the catalogue, without importing
    any rule module) or one registered at run time."""
    from .catalogue import CATALOGUE

    return any(matches(rule, selector) for rule in (*CATALOGUE, *registered().values()))
