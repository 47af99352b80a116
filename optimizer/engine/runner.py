"""The fix loop: check → select → apply → re-parse (ours and BuildKit's) → repeat to a fixpoint.

Rules are run in phases (``rules.base.Phase``: copy order, copy moves, layers, packages, style).
Each phase runs to its own fixpoint before the next starts, and the whole sequence repeats until a
pass changes nothing: a rule that must see another's result sits in a later phase, so rules never
ask about each other. Within a round, fixes of one *isolation group* (by default, a rule's own
code for rules that declare ``isolated``) are applied one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..analysis.facts import Facts, Session
from ..core.config import Settings
from ..core.findings import Applicability, Finding
from ..rules.base import Phase, Rule, all_rules, registered
from ..syntax import Dockerfile, ParseError, parse
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


def _phase(rule: Rule) -> Phase:
    return getattr(rule, "phase", Phase.STYLE)


class LazyRules:
    """The enabled rules of one ``fix_text`` run, loaded only when they can fire.

    Each round, a shipped rule runs when it is enabled, no file pragma silences it, and its trigger
    holds for the round's tree (see ``optimizer/rules/triggers.py``); its module is imported the
    first time that happens. A rule whose trigger is false would find nothing (the catalogue tests
    check that on every corpus file and fixture), so the findings are exactly those of all enabled
    rules. Rules registered by others (plugins, tests) have no catalogue entry and always run.
    """

    def __init__(self, settings: Settings) -> None:
        from ..rules._catalogue import CATALOGUE

        self.settings = settings
        listed = {entry.code for entry in CATALOGUE}
        self.entries = [entry for entry in CATALOGUE if settings.enabled(entry)]
        self.others = [
            rule()
            for code, rule in sorted(registered().items())
            if code not in listed and settings.enabled(rule)
        ]
        self._loaded: dict[str, Rule] = {}

    def phases(self) -> list[Phase]:
        present = {entry.phase for entry in self.entries} | {_phase(rule) for rule in self.others}
        return sorted(present)

    def for_round(self, facts: Facts, phase: Phase | None = None) -> list[Rule]:
        """The rules to run on this round's facts (of one phase, or all), in code order."""
        from ..rules.triggers import Probe

        probe = facts.memo(Probe, lambda: Probe(facts.tree, facts.text, self.settings))
        silenced = facts.suppressions
        chosen = [rule for rule in self.others if phase is None or _phase(rule) is phase]
        for entry in self.entries:
            if phase is not None and entry.phase is not phase:
                continue
            if silenced.silences_rule(entry) or (entry.trigger is not None and not entry.trigger(probe)):
                continue
            if entry.code not in self._loaded:
                self._loaded[entry.code] = entry.load()()
            chosen.append(self._loaded[entry.code])
        return sorted(chosen, key=lambda rule: rule.code)


class FixedRules:
    """An explicit list of rules (tests, ``verify``'s test rules): all of them run, by phase."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules

    def phases(self) -> list[Phase]:
        return sorted({_phase(rule) for rule in self.rules})

    def for_round(self, facts: Facts, phase: Phase | None = None) -> list[Rule]:
        return [rule for rule in self.rules if phase is None or _phase(rule) is phase]


def check(facts: Facts, rules: list[Rule]) -> list[Finding]:
    """Every finding of ``rules`` that no pragma silences, in a stable order."""
    silenced = facts.suppressions
    found = [f for rule in rules for f in rule.check(facts) if not silenced.silences(f)]
    return sorted(found, key=lambda f: (f.line, f.column, f.code, f.message))


def findings(
    text: str,
    settings: Settings,
    *,
    path: Path | None = None,
    context_dir: Path | None = None,
    rules: list[Rule] | None = None,
) -> list[Finding]:
    """Every finding on ``text`` as it is (no fixing), all phases. Raises ParseError for bad input."""
    tree = parse(text)
    tree.check()
    source = LazyRules(settings) if rules is None else FixedRules(rules)
    facts = Facts(tree, text, settings, session=Session(path, context_dir))
    return check(facts, source.for_round(facts))


def wanted(finding: Finding, settings: Settings) -> bool:
    if finding.fix is None:
        return False
    if finding.fix.applicability is Applicability.SAFE:
        return True
    return finding.fix.applicability is Applicability.UNSAFE and settings.unsafe_fixes


class _Broken(Exception):
    def __init__(self, error: InternalError) -> None:
        self.error = error


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
    source = LazyRules(settings) if rules is None else FixedRules(rules)
    session = Session(path, context_dir)
    tree = parse(text)
    tree.check()
    outcome = Outcome(input=text, output=text)
    facts = Facts(tree, text, settings, session=session)
    # Per phase: the text at which it last found nothing to apply, and what it found there. A phase
    # whose text has not changed since is not run again; at the end these are the remaining findings.
    clean: dict[Phase, tuple[str, list[Finding]]] = {}
    rounds = 0
    try:
        for _ in range(settings.max_rounds):  # passes over all phases
            changed_in_pass = False
            for phase in source.phases():
                if phase in clean and clean[phase][0] == facts.text:
                    continue
                for _ in range(settings.max_rounds + 1):  # this phase to its fixpoint
                    found = check(facts, source.for_round(facts, phase))
                    chosen = select_non_overlapping([f for f in found if wanted(f, settings)])
                    if not chosen:
                        clean[phase] = (facts.text, found)
                        break
                    rounds += 1
                    candidate = apply_edits(facts.text, [e for f in chosen for e in f.fix.edits])  # type: ignore[union-attr]
                    tree = _reparse(facts.text, candidate, chosen)
                    outcome.applied.extend(chosen)
                    facts = Facts(tree, candidate, settings, session=session)
                    changed_in_pass = True
                else:
                    return _not_converged(outcome, settings)
            if not changed_in_pass:
                break
        else:
            return _not_converged(outcome, settings)
    except _Broken as broken:
        outcome.error = broken.error
        outcome.applied = []
        outcome.remaining = []
        return outcome
    remaining = [f for phase_text, found in clean.values() for f in found]
    outcome.remaining = sorted(remaining, key=lambda f: (f.line, f.column, f.code, f.message))
    outcome.output = facts.text
    outcome.rounds = rounds
    return outcome


def _not_converged(outcome: Outcome, settings: Settings) -> Outcome:
    codes = tuple(sorted({f.code for f in outcome.applied}))
    outcome.error = InternalError(
        f"fixes did not converge after {settings.max_rounds} rounds (rules {', '.join(codes)}); "
        "the file was left unchanged. Please report this as a dockopt bug.",
        codes,
    )
    outcome.applied = []
    return outcome


def _reparse(before: str, candidate: str, chosen: list[Finding]) -> Dockerfile:
    """The tree of the candidate text; raises _Broken when either parser rejects it."""
    tree, problem = _parse_both(candidate)
    if problem is not None:
        culprits = _culprits(before, chosen)
        raise _Broken(
            InternalError(
                f"fix by {', '.join(culprits)} produced a file that does not parse ({problem}); "
                "the file was left unchanged. Please report this as a dockopt bug.",
                culprits,
            )
        )
    return tree


def _parse_both(text: str) -> tuple[Dockerfile, str | None]:
    tree = parse(text)
    if tree.errors:
        first = tree.errors[0]
        return tree, f"line {first.line}: {first.message}"
    from .oracle import buildkit_error

    error = buildkit_error(text)
    return tree, (f"BuildKit: {error}" if error else None)


def _culprits(text: str, chosen: list[Finding]) -> tuple[str, ...]:
    """The codes whose fix alone breaks the file; all of them if only the combination does."""
    alone = {
        f.code
        for f in chosen
        if f.fix is not None and _parse_both(apply_edits(text, list(f.fix.edits)))[1] is not None
    }
    return tuple(sorted(alone)) or tuple(sorted({f.code for f in chosen}))


__all__ = [
    "InternalError",
    "LazyRules",
    "Outcome",
    "ParseError",
    "check",
    "findings",
    "fix_text",
    "selected_rules",
]
