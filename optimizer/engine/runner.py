"""The fix loop: check → select → apply → verify (both parsers, structure) → repeat to a fixpoint.

Rules are run in phases (``rules.base.Phase``: copy order, copy moves, layers, packages, style).
Each phase runs to its own fixpoint before the next starts, and the whole sequence repeats until a
pass changes nothing: a rule that must see another's result sits in a later phase, so rules never
ask about each other. Within a round, fixes of one *isolation group* (by default, a rule's own
code for rules that declare ``isolated``) are applied one at a time.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..analysis.facts import Facts, Session
from ..core.config import Settings
from ..core.files import FileChange, changes, read_original
from ..core.findings import Applicability, Edit, FileEdit, Finding
from ..rules.base import Phase, Rule, all_rules, registered
from ..shell.run import release
from ..syntax import Dockerfile, ParseError, parse
from ..syntax.errors import MAX_LINE_BYTES, LineTooLong
from .edits import apply_edits, select_non_overlapping
from .gcpause import paused_gc
from .structure import structural_problem

if TYPE_CHECKING:
    from ..analysis.runtime import RuntimeFacts  # only on the --verify path, passed in by the caller
    from ..rules.entry import Entry


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
    # Files beside the Dockerfile the applied fixes change (its .dockerignore), with old and new text.
    files: list[FileChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """The Dockerfile's text changed (see ``any_change`` for the second files too)."""
        return self.output != self.input

    @property
    def any_change(self) -> bool:
        return self.changed or bool(self.files)


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
        self._by_phase: dict[Phase, list[Entry]] = {}  # the entries of each phase, in code order
        for entry in self.entries:
            self._by_phase.setdefault(entry.phase, []).append(entry)

    def phases(self) -> list[Phase]:
        present = {entry.phase for entry in self.entries} | {_phase(rule) for rule in self.others}
        return sorted(present)

    def for_round(self, facts: Facts, phase: Phase | None = None) -> list[Rule]:
        """The rules to run on this round's facts (of one phase, or all), in code order."""
        from ..rules.triggers import Probe

        probe = facts.memo(Probe, lambda: Probe(facts.tree, facts.text, self.settings))
        silenced = facts.suppressions
        file_pragmas = bool(silenced.file)
        chosen = [rule for rule in self.others if phase is None or _phase(rule) is phase]
        for entry in self.entries if phase is None else self._by_phase.get(phase, ()):
            if file_pragmas and silenced.silences_rule(entry):
                continue
            if entry.trigger is not None and not entry.trigger(probe):
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
    runtime: RuntimeFacts | None = None,
) -> list[Finding]:
    """Every finding on ``text`` as it is (no fixing), all phases. Raises ParseError for bad input."""
    tree = parse(text)
    tree.check()
    source = LazyRules(settings) if rules is None else FixedRules(rules)
    facts = Facts(tree, text, settings, session=Session(path, context_dir, runtime=runtime))
    return check(facts, source.for_round(facts))


def wanted(finding: Finding, settings: Settings, *, verified: bool = False) -> bool:
    if finding.fix is None:
        return False
    if finding.fix.requires_verification and not verified:
        return False
    if finding.fix.applicability is Applicability.SAFE:
        return True
    return finding.fix.applicability is Applicability.UNSAFE and settings.unsafe_fixes


class _Broken(Exception):
    def __init__(self, error: InternalError) -> None:
        self.error = error


@paused_gc
def fix_text(
    text: str,
    settings: Settings,
    *,
    path: Path | None = None,
    context_dir: Path | None = None,
    rules: list[Rule] | None = None,
    runtime: RuntimeFacts | None = None,
    verified: bool = False,
    files: dict[Path, str] | None = None,
) -> Outcome:
    """Fix ``text`` to a fixpoint. Raises ParseError when the input itself is not a valid Dockerfile.

    Every round's output is checked: it parses without errors with our parser (which includes
    BuildKit's 65,535-byte line limit and its instruction layer's checks), and it keeps its
    structure: every instruction no applied edit touched is still there, in order, read the same way
    (``structure.py``; a COPY moved below a dangling ``RUN npm i\\`` parses, but as part of that
    RUN). The output is then parsed by BuildKit's own parser too. Our parser is held to BuildKit's
    on every corpus file, so BuildKit rejects an output only through a bug; when it does, the run
    is done again with BuildKit's parser asked after every round as well (``_fix_loop``), which
    finds the round and the fix, keeps the good fixes and names the rule (an InternalError). One
    BuildKit parse per changed file instead of one per round, for the same result.

    A failing round never costs the good fixes (``_apply_round``): each fix is tried alone on the
    round's text. One that alone breaks the parse is a rule bug: the whole run is abandoned, the
    input kept, and an InternalError names the rule(s). One that alone makes a line too long or
    changes an instruction it does not touch is *withheld*: not applied, and reported in
    ``remaining`` without a fix, its message saying why. The others are applied (one that fails
    only together with another waits a round and is tried again on the new text).

    Fixes may also edit files beside the Dockerfile (``Fix.file_edits``, its .dockerignore): the
    rules see them applied from the next round on, and ``Outcome.files`` holds each changed file's
    old and new text; nothing is written here. ``files`` gives such files' text as an earlier run
    left them, when it was not written (a second run on an output, for idempotence).
    """
    run = functools.partial(
        _fix_loop,
        text,
        settings,
        path=path,
        context_dir=context_dir,
        rules=rules,
        runtime=runtime,
        verified=verified,
        files=files,
    )
    outcome = run(oracle_each_round=False)
    if outcome.error is None and outcome.output != text:
        from .oracle import buildkit_error

        if buildkit_error(outcome.output) is not None:
            outcome = run(oracle_each_round=True)
    return outcome


def _fix_loop(
    text: str,
    settings: Settings,
    *,
    path: Path | None,
    context_dir: Path | None,
    rules: list[Rule] | None,
    runtime: RuntimeFacts | None,
    verified: bool,
    files: dict[Path, str] | None,
    oracle_each_round: bool,
) -> Outcome:
    """``fix_text``'s loop; ``oracle_each_round``: ask BuildKit's parser about every round's text."""
    source = LazyRules(settings) if rules is None else FixedRules(rules)
    session = Session(path, context_dir, runtime=runtime)
    if files:  # second files as a previous run left them (not written yet): the starting point
        session.set_files(dict(files))
    tree = parse(text)
    tree.check()
    outcome = Outcome(input=text, output=text)
    facts = Facts(tree, text, settings, session=session)
    # Per phase: the text at which it last found nothing to apply, and what it found there. A phase
    # whose text has not changed since is not run again; at the end these are the remaining findings.
    clean: dict[Phase, tuple[tuple[str, int], list[Finding]]] = {}
    file_edits = _FileEdits(session)
    # Per text: the fixes found on it that may not be applied, with the reason (see _apply_round).
    withheld: dict[str, dict[_FixKey, str]] = {}
    rounds = 0
    try:
        for _ in range(settings.max_rounds):  # passes over all phases
            changed_in_pass = False
            for phase in source.phases():
                if phase in clean and clean[phase][0] == (facts.text, session.revision):
                    continue
                phase_rounds = 0
                while phase_rounds <= settings.max_rounds:  # this phase to its fixpoint
                    found = check(facts, source.for_round(facts, phase))
                    held = withheld.setdefault(facts.text, {})
                    chosen = select_non_overlapping(
                        [f for f in found if wanted(f, settings, verified=verified) and _key(f) not in held]
                    )
                    if not chosen:
                        clean[phase] = ((facts.text, session.revision), found)
                        break
                    applied, tree, candidate = _apply_round(facts, chosen, held, oracle_each_round)
                    if not applied:
                        continue  # every fix of the round was withheld: select again without them
                    phase_rounds += 1
                    rounds += 1
                    outcome.applied.extend(applied)
                    file_edits.add(applied)
                    release(facts.tree)  # its RUN analyses may serve the next round's tree
                    facts.close()
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
    remaining = [_declined(f, withheld.get(state[0], {})) for state, found in clean.values() for f in found]
    outcome.files = file_edits.changes()
    outcome.remaining = sorted(remaining, key=lambda f: (f.line, f.column, f.code, f.message))
    release(facts.tree)  # the caller never sees this tree: its analyses may serve the next file
    facts.close()
    outcome.output = facts.text
    outcome.rounds = rounds
    return outcome


class _FileEdits:
    """The second-file edits of the applied fixes, kept visible to the rules through the session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.edits: list[FileEdit] = []
        self.originals: dict[Path, str | None] = {}

    def add(self, applied: list[Finding]) -> None:
        new = [edit for f in applied if f.fix is not None for edit in f.fix.file_edits]
        if not new:
            return
        for edit in new:
            path = Path(edit.path)
            if path not in self.originals:
                start = self.session.files.get(path)
                self.originals[path] = start if start is not None else read_original(path)
        self.edits += new
        self.session.set_files({change.path: change.after for change in self.changes()})

    def changes(self) -> list[FileChange]:
        return changes(self.originals, self.edits)


def _not_converged(outcome: Outcome, settings: Settings) -> Outcome:
    codes = tuple(sorted({f.code for f in outcome.applied}))
    outcome.error = InternalError(
        f"fixes did not converge after {settings.max_rounds} rounds (rules {', '.join(codes)}); "
        "the file was left unchanged. Please report this as a dockopt bug.",
        codes,
    )
    outcome.applied = []
    return outcome


_FixKey = tuple[str, str, tuple[Edit, ...]]


def _key(finding: Finding) -> _FixKey:
    return (finding.code, finding.message, finding.fix.edits if finding.fix else ())


def _declined(finding: Finding, held: dict[_FixKey, str]) -> Finding:
    """A finding whose fix was withheld, as it is reported: no fix, and the reason in its message."""
    reason = held.get(_key(finding))
    if reason is None:
        return finding
    return replace(finding, fix=None, message=f"{finding.message} (fix not applied: {reason})")


@dataclass
class _Verdict:
    tree: Dockerfile
    text: str
    problem: str | None = None
    # A problem the fix can be withheld for (the rest applied): it makes a line longer than
    # BuildKit reads, or it changes an instruction it does not touch. Other problems (the output
    # does not parse) are bugs of the rule, reported as an InternalError.
    withholdable: bool = False


def _verify(facts: Facts, fixes: list[Finding], oracle: bool = True) -> _Verdict:
    """Apply ``fixes`` to the round's text and check the result: our parser, BuildKit's (when
    ``oracle``), then the structure."""
    edits = [e for f in fixes for e in f.fix.edits]  # type: ignore[union-attr]
    text = apply_edits(facts.text, edits)
    tree = parse(text)
    if tree.errors:
        first = tree.errors[0]
        long_lines = all(isinstance(e, LineTooLong) for e in tree.errors)
        if long_lines:
            problem = (
                f"it would make line {first.line} longer than BuildKit's limit of {MAX_LINE_BYTES} bytes"
            )
        else:
            problem = f"line {first.line}: {first.message}"
        return _Verdict(tree, text, problem, withholdable=long_lines)
    if oracle:
        from .oracle import buildkit_error

        error = buildkit_error(text)
        if error:
            return _Verdict(tree, text, f"BuildKit: {error}")
    structural = structural_problem(facts.tree, edits, tree)
    if structural:
        return _Verdict(tree, text, f"it would change another instruction: {structural}", withholdable=True)
    return _Verdict(tree, text)


def _apply_round(
    facts: Facts, chosen: list[Finding], held: dict[_FixKey, str], oracle: bool = True
) -> tuple[list[Finding], Dockerfile, str]:
    """Apply the round's fixes, keeping every good one: ``(applied, tree, text)``.

    When the combined result fails a check, each fix is tried alone on the round's text. A fix
    that alone breaks the parse is a rule bug: the run stops with an InternalError naming it (the
    input is kept). A fix that alone makes a line too long or changes an instruction it does not
    touch is withheld (recorded in ``held`` with the reason; it is reported without a fix). The
    others are applied in order, each kept if the result with it still passes; one that fails only
    in combination waits for the next round, where it is found again on the new text.
    """
    verdict = _verify(facts, chosen, oracle)
    if verdict.problem is None:
        return chosen, verdict.tree, verdict.text
    alone = {id(f): _verify(facts, [f], oracle) for f in chosen}
    broken = [f for f in chosen if alone[id(f)].problem is not None and not alone[id(f)].withholdable]
    if broken:
        codes = tuple(sorted({f.code for f in broken}))
        raise _Broken(
            InternalError(
                f"fix by {', '.join(codes)} produced a file that does not parse "
                f"({alone[id(broken[0])].problem}); the file was left unchanged. "
                "Please report this as a dockopt bug.",
                codes,
            )
        )
    good: list[Finding] = []
    for finding in chosen:
        problem = alone[id(finding)].problem
        if problem is not None:
            held[_key(finding)] = problem
        else:
            good.append(finding)
    if not good:
        return [], facts.tree, facts.text
    if len(good) < len(chosen):
        verdict = _verify(facts, good, oracle)
        if verdict.problem is None:
            return good, verdict.tree, verdict.text
    applied, result = [good[0]], alone[id(good[0])]
    for finding in good[1:]:
        trial = _verify(facts, [*applied, finding], oracle)
        if trial.problem is None:
            applied.append(finding)
            result = trial
    return applied, result.tree, result.text


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
