"""What a rule is: one declaration (code, name, summary, safety, default, phase, trigger, removes),
its documentation (the module docstring) and a check that yields findings.

A rule never edits text. It returns findings; a finding may carry a Fix (text edits plus an
applicability), and the engine decides which fixes to apply, applies them, re-parses and loops.
The class attributes are the single source of a rule's metadata: the lazy-loading catalogue
(``_catalogue.py``) and the README's rule table are generated from them (``python -m
optimizer.rules.catalogue --write``; a test fails when either is stale).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from ..analysis.facts import Facts
from ..core.findings import Applicability, Edit, Finding, Fix
from ..core.selectors import matches

if TYPE_CHECKING:
    from ..syntax import Instruction
    from .triggers import Trigger

DOC_SECTIONS = ("What it does", "Why", "Example", "Fix safety", "References")
CODE_RE = re.compile(r"^DO\d{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
FAMILIES = {  # code prefix -> subpackage of optimizer.rules
    "DO1": "style",
    "DO2": "layers",
    "DO3": "packages",
    "DO4": "caching",
    "DO5": "stages",
    "DO6": "context",
}


class Phase(enum.IntEnum):
    """When a rule's fixes are applied. The engine runs the phases in this order, each to a fixpoint,
    and starts over until a whole pass changes nothing. A rule that must see another rule's result
    (or must not compete with it) sits in a later phase; rules never ask about each other."""

    COPY_ORDER = 1  # DO401: split a source copy around the dependency install
    MOVES = 2  # DO402, DO302: move an instruction (a whole-context copy, a lone apt-get update)
    LAYERS = 3  # DO201, DO313: join RUNs (cleanups land in the layer that made the mess)
    PACKAGES = 4  # DO3xx: package-manager flags, cleanups and cache mounts in single RUNs
    STYLE = 5  # DO1xx: keywords and ADD→COPY, which no other rule looks at
    STAGES = 6  # DO501: split the build after the others, so the builder already carries every fix
    CONTEXT = 7  # DO6xx: .dockerignore entries, decided on the COPYs the other phases leave


class Rule:
    """Subclass, set the class attributes, implement ``check``, decorate with ``@register``.

    The module docstring is the rule's documentation and must have the sections in DOC_SECTIONS;
    the module is named after the rule (``merge-runs`` → ``layers/merge_runs.py``).
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    safety: ClassVar[Applicability]  # the usual applicability; a finding may differ
    # How safety varies, for the rule table (e.g. "unsafe when scripts are involved"); "" = ``safety``.
    safety_note: ClassVar[str] = ""
    default_enabled: ClassVar[bool] = True
    phase: ClassVar[Phase] = Phase.STYLE  # shipped rules declare theirs (a test checks)
    # A cheap necessary condition over the parsed tree and settings (see ``triggers.py``): when false
    # the rule would find nothing, so the engine need not even import it.
    trigger: ClassVar[Trigger | None] = None
    # Paths (globs) this rule's fixes may remove from the final image, e.g. package caches.
    # `dockopt verify` allows differences there and attributes them to the rule.
    removes: ClassVar[tuple[str, ...]] = ()

    def check(self, ctx: Facts) -> Iterator[Finding]:
        raise NotImplementedError

    def inspect_paths(self, ctx: Facts) -> list[str]:
        """For a rule whose fixes require verification: absolute paths of the built original that
        ``--verify`` reads (``verify.inspect``) before the rule plans again with those facts, beyond
        the files the image's command names. Most rules need none."""
        return []

    @classmethod
    def docs(cls) -> str:
        import sys

        return (sys.modules[cls.__module__].__doc__ or "").strip()

    def finding(
        self,
        ctx: Facts,
        instruction: Instruction,
        message: str,
        edits: list[Edit] | tuple[Edit, ...] = (),
        applicability: Applicability | None = None,
        *,
        offset: int | None = None,
        also: tuple[Instruction, ...] = (),
    ) -> Finding:
        """A finding anchored at ``instruction`` (and ``also``), with a fix when ``edits`` are given."""
        start = instruction.keyword_start if offset is None else offset
        line, column = ctx.position(start)
        # The flagged span ends where the last instruction concerned ends, before its line ending.
        end = max(node.start + len(node.text.rstrip("\r\n")) for node in (instruction, *also))
        end_line, end_column = ctx.position(max(end, start))
        fix = Fix(tuple(sorted(edits)), applicability or self.safety) if edits else None
        return Finding(
            code=self.code,
            name=self.name,
            message=message,
            line=line,
            column=column,
            anchors=(instruction.line, *(other.line for other in also)),
            fix=fix,
            end_line=end_line,
            end_column=end_column,
        )


class _Registry:
    """The registered rules, and whether ``all_rules()`` has imported every module yet."""

    def __init__(self) -> None:
        self.rules: dict[str, type[Rule]] = {}
        self.loaded = False


_REGISTRY = _Registry()


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: adds the rule to the registry (pyupgrade-style self-registration)."""
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


def rule_modules() -> list[str]:
    """Every shipped rule module, as ``family.module`` under ``optimizer.rules`` (found on disk)."""
    import pkgutil
    from pathlib import Path

    here = Path(__file__).parent
    found = []
    for family in sorted(set(FAMILIES.values())):
        for module in pkgutil.iter_modules([str(here / family)]):
            if not module.name.startswith("_"):
                found.append(f"{family}.{module.name}")
    return found


def all_rules() -> list[type[Rule]]:
    """Every rule, by code. Importing the rule modules is what registers them.

    The engine does not call this on its common path: it selects from the generated catalogue and
    imports only the modules whose rules can fire (see ``optimizer/rules/catalogue.py``).
    """
    if not _REGISTRY.loaded:
        import importlib

        for module in rule_modules():
            importlib.import_module(f"{__package__}.{module}")
        _REGISTRY.loaded = True
    return [_REGISTRY.rules[code] for code in sorted(_REGISTRY.rules)]


__all__ = [
    "DOC_SECTIONS", "Applicability", "Edit", "Facts", "Finding", "Fix", "Phase", "Rule",
    "all_rules", "matches", "register", "registered", "rule_modules",
]  # fmt: skip
