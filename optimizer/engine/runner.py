"""The fix loop: check → select → apply → re-parse (ours and BuildKit's) → repeat to a fixpoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..rules.base import Applicability, Context, Finding, Rule, all_rules, registered
from ..settings import Settings
from ..syntax import Dockerfile, ParseError, parse
from . import pragmas
from .edits import apply_edits, select_non_overlapping


class InternalError(Exception):
    """A rule produced a broken or unstable result. The input is kept; this asks for a bug report."""

    def __init__(self, message: str, codes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.codes = codes


@dataclass
class Outcome:
    input: str
    output: str
    applied: list[Finding] = field(default_factory=list)  # in the order they were applied
    remaining: list[Finding] = field(default_factory=list)  # found on the output, not fixed
    rounds: int = 0
    error: InternalError | None = None

    @property
    def changed(self) -> bool:
        return self.output != self.input


def selected_rules(settings: Settings) -> list[Rule]:
    """Every enabled rule, instantiated (imports every rule module; ``fix_text`` loads lazily)."""
    return [rule() for rule in all_rules() if settings.enabled(rule)]


class LazyRules:
    """The enabled rules of one ``fix_text`` run, loaded only when they can fire.

    Each round, a shipped rule runs when it is enabled, no file pragma silences it, and its
    catalogue trigger holds for the round's tree (``optimizer/rules/catalogue.py``); its module is
    imported the first time that happens. A rule whose trigger is false would find nothing (the
    catalogue tests check that on every corpus file and fixture), so the findings are exactly those
    of all enabled rules. Rules registered by others (plugins, tests) have no trigger and always run.
    """

    def __init__(self, settings: Settings) -> None:
        from ..rules.catalogue import CATALOGUE

        self.settings = settings
        listed = {entry.code for entry in CATALOGUE}
        self.entries = [entry for entry in CATALOGUE if settings.enabled(entry)]
        self.others = [
            rule()
            for code, rule in sorted(registered().items())
            if code not in listed and settings.enabled(rule)
        ]
        self._loaded: dict[str, Rule] = {}

    def for_round(self, tree: Dockerfile, text: str) -> list[Rule]:
        """The rules to run on this round's text, in code order (as ``selected_rules`` gives them)."""
        from ..rules.catalogue import Probe

        probe = Probe(tree, text, self.settings)
        silenced = pragmas.collect(tree)
        chosen = list(self.others)
        for entry in self.entries:
            if silenced.silences_rule(entry) or not entry.trigger(probe):
                continue
            if entry.code not in self._loaded:
                self._loaded[entry.code] = entry.load()()
            chosen.append(self._loaded[entry.code])
        return sorted(chosen, key=lambda rule: rule.code)


def check(tree: Dockerfile, text: str, settings: Settings, rules: list[Rule], **where) -> list[Finding]:
    """Every finding of the selected rules that no pragma silences, in a stable order."""
    ctx = Context(tree=tree, text=text, settings=settings, **where)
    silenced = pragmas.collect(tree)
    found = [f for rule in rules for f in rule.check(ctx) if not silenced.silences(f)]
    return sorted(found, key=lambda f: (f.line, f.column, f.code, f.message))


def wanted(finding: Finding, settings: Settings) -> bool:
    if finding.fix is None:
        return False
    if finding.fix.applicability is Applicability.SAFE:
        return True
    return finding.fix.applicability is Applicability.UNSAFE and settings.unsafe_fixes


def fix_text(
    text: str,
    settings: Settings,
    *,
    path: Path | None = None,
    context_dir: Path | None = None,
    rules: list[Rule] | None = None,
) -> Outcome:
    """Fix ``text`` to a fixpoint. Raises ParseError when the input itself is not a valid Dockerfile.

    Every round's output must parse without errors with our parser and with BuildKit's, or the
    whole run is abandoned and the input kept, with an InternalError naming the rule(s).
    """
    lazy = LazyRules(settings) if rules is None else None
    where = {"path": path, "context_dir": context_dir}
    tree = parse(text)
    tree.check()
    outcome = Outcome(input=text, output=text)
    current = text
    for round_number in range(1, settings.max_rounds + 1):
        active = lazy.for_round(tree, current) if lazy is not None else rules
        findings = check(tree, current, settings, active, **where)  # type: ignore[arg-type]
        chosen = select_non_overlapping([f for f in findings if wanted(f, settings)])
        if not chosen:
            outcome.remaining = findings
            outcome.output = current
            outcome.rounds = round_number - 1
            return outcome
        candidate = apply_edits(current, [e for f in chosen for e in f.fix.edits])  # type: ignore[union-attr]
        problem = _reparse_problem(candidate)
        if problem is not None:
            culprits = _culprits(current, chosen)
            outcome.error = InternalError(
                f"fix by {', '.join(culprits)} produced a file that does not parse ({problem}); "
                "the file was left unchanged. Please report this as a dockopt bug.",
                culprits,
            )
            outcome.remaining = findings
            return outcome
        outcome.applied.extend(chosen)
        current = candidate
        tree = parse(current)
    codes = tuple(sorted({f.code for f in outcome.applied}))
    outcome.error = InternalError(
        f"fixes did not converge after {settings.max_rounds} rounds (rules {', '.join(codes)}); "
        "the file was left unchanged. Please report this as a dockopt bug.",
        codes,
    )
    outcome.applied = []
    return outcome


def _reparse_problem(text: str) -> str | None:
    tree = parse(text)
    if tree.errors:
        first = tree.errors[0]
        return f"line {first.line}: {first.message}"
    from .oracle import buildkit_error

    error = buildkit_error(text)
    return f"BuildKit: {error}" if error else None


def _culprits(text: str, chosen: list[Finding]) -> tuple[str, ...]:
    """The codes whose fix alone breaks the file; all of them if only the combination does."""
    alone = tuple(
        sorted(
            {f.code for f in chosen if _reparse_problem(apply_edits(text, list(f.fix.edits))) is not None}  # type: ignore[union-attr]
        )
    )
    return alone or tuple(sorted({f.code for f in chosen}))


__all__ = ["InternalError", "LazyRules", "Outcome", "ParseError", "check", "fix_text", "selected_rules"]
