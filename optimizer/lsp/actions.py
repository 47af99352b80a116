"""Code actions as text changes: a finding's own fix, a pragma that silences it, and fix-all.

Each action is described by a small ``Plan`` (what to do, for which finding) that can travel in a
code action's ``data`` and be turned into edits later (``codeAction/resolve``), so a light-bulb
request costs no more than listing what is possible.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis.pragmas import PRAGMA_RE
from ..core.findings import Applicability, Finding
from .analysis import Analysis
from .text import Change, changes, trim

FIX_ALL_KIND = "source.fixAll.dockopt"


@dataclass(frozen=True)
class Plan:
    kind: str  # "fix", "disable" or "fix-all"
    index: int = -1  # the finding, for "fix" and "disable"
    code: str = ""  # its code: an index into other findings (new settings, same version) is refused

    def to_data(self, uri: str, version: int | None) -> dict[str, object]:
        return {"uri": uri, "version": version, "plan": self.kind, "index": self.index, "code": self.code}

    @classmethod
    def from_data(cls, data: object) -> tuple[str, int | None, Plan] | None:
        if not isinstance(data, dict) or not isinstance(data.get("uri"), str):
            return None
        kind = data.get("plan")
        index = data.get("index", -1)
        if kind not in ("fix", "disable", "fix-all") or not isinstance(index, int):
            return None
        version = data.get("version")
        code = data.get("code")
        if not isinstance(code, str):
            code = ""
        return data["uri"], version if isinstance(version, int) else None, cls(kind, index, code)


def offered(finding: Finding, unsafe_enabled: bool) -> bool:
    """Whether a finding's fix is offered as a quick fix.

    A fix that edits another file (the DO6xx ``.dockerignore`` entries) is not: the server edits
    the open document only, and an editor that applies a fix-all on save would otherwise be told
    the buffer is fixed while the other file stays as it was. The diagnostic still says what to
    add; ``dockopt --write`` writes it (fix-all, which runs the engine, leaves it out likewise).
    """
    if finding.fix is None or finding.fix.file_edits:
        return False
    applicability = finding.fix.applicability
    return applicability is Applicability.SAFE or (applicability is Applicability.UNSAFE and unsafe_enabled)


def title(plan: Plan, finding: Finding | None) -> str:
    if plan.kind == "fix-all":
        return "dockopt: apply all fixes"
    assert finding is not None
    if plan.kind == "disable":
        return f"Disable {finding.code} for this instruction"
    label = f"{finding.code}: {finding.message}"
    if finding.applicability is Applicability.UNSAFE:
        label += " (unsafe fix)"
    return label


def plan_changes(analysis: Analysis, plan: Plan) -> list[Change] | None:
    """The changes of an action on this analysis' text; None when it cannot be made."""
    if plan.kind == "fix-all":
        output = analysis.output()
        return None if output is None else changes(analysis.text, output)
    if not 0 <= plan.index < len(analysis.findings):
        return None
    finding = analysis.findings[plan.index]
    if plan.code and finding.code != plan.code:
        return None
    if plan.kind == "disable":
        change = disable(analysis, finding)
        return None if change is None else [change]
    if finding.fix is None:
        return None
    return [trim(analysis.text, edit.start, edit.end, edit.replacement) for edit in finding.fix.edits]


def disable(analysis: Analysis, finding: Finding) -> Change | None:
    """Insert ``# dockopt: ignore=CODE`` directly above the finding's instruction, or add the code
    to the pragma already there."""
    anchor = finding.anchors[0] if finding.anchors else finding.line
    instruction = analysis.instruction_on_line(anchor)
    if instruction is None or analysis.tree is None:
        return None
    for comment in instruction.leading_comments:
        stripped = comment.text.strip()
        match = PRAGMA_RE.match(stripped)
        if match and match.group(1).lower() == "ignore" and match.group(2) is not None:
            at = comment.start + comment.text.index(stripped) + match.end(2)
            return Change(at, at, f",{finding.code}")
    body = instruction.text
    indent = body[: len(body) - len(body.lstrip(" \t"))]
    pragma = f"{indent}# dockopt: ignore={finding.code}{analysis.tree.newline}"
    return Change(instruction.start, instruction.start, pragma)


def range_fix(analysis: Analysis, start: int, end: int) -> list[Change]:
    """Range formatting: one round of the fixes formatting would apply whose findings lie in the
    range (those of the earliest phase, as the engine would pick them), if the result parses."""
    settings = analysis.settings
    if settings is None or not analysis.usable:
        return []
    from ..engine.edits import apply_edits, select_non_overlapping
    from ..engine.oracle import buildkit_error
    from ..rules._catalogue import CATALOGUE
    from ..syntax import parse

    phases = {entry.code: entry.phase for entry in CATALOGUE}
    candidates = []
    for finding in analysis.findings:
        span_start, span_end = analysis.finding_span(finding)
        if offered(finding, settings.unsafe_fixes) and span_start <= end and start <= span_end:
            candidates.append(finding)
    if not candidates:
        return []
    first = min(phases.get(finding.code, 99) for finding in candidates)
    chosen = select_non_overlapping([f for f in candidates if phases.get(f.code, 99) == first])
    output = apply_edits(analysis.text, [edit for finding in chosen for edit in finding.fix.edits])  # type: ignore[union-attr]
    if parse(output).errors or buildkit_error(output) is not None:
        return []
    return changes(analysis.text, output)
