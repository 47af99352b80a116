"""Joining consecutive RUN instructions into one RUN that behaves like them: the shared machinery.

Used by DO201 (merge-runs), DO313 (cleanup-in-wrong-layer) and the package-manager rules that fold a cleanup into the RUN that
made the mess. What "behaves like them" means, and how it is kept:

- Same flags (``--mount``, ``--network``, ``--security``), both in shell form, no heredocs, nothing
  between them but comments and blank lines, in a stage whose shell is POSIX, and both scripts
  understood by the shell model (tree-sitter-bash, no errors).
- Exit status and control flow. With two RUNs the later one runs only if the earlier one succeeded,
  so the merged script is ``EARLIER && LATER``. ``&&`` and ``||`` bind left to right with equal
  precedence, so ``a || b && c`` is ``(a || b) && c`` — right for any earlier and-or list. Anything
  else is wrapped in a subshell: an earlier script with ``;`` or a trailing terminator, and a later
  script that is not a plain ``&&`` chain (``x || y`` after ``&&`` would run ``y`` when the earlier
  part failed).
- Shell state does not leak: an earlier script that changes what later commands see (``cd``,
  ``export``, ``set``, ``umask``, ``exit``, ``exec``, an assignment, ``source`` …) runs in a subshell,
  exactly as it ran in its own shell before. ``exit`` inside the subshell still ends only that part.
- ``set -e`` is ignored inside any part of an and-or list but the last (POSIX), so an earlier
  script that relies on it cannot go into ``( … ) &&``: such pairs are joined with ``;`` when
  ``set -e`` is provably in force through the earlier script (the ``set -eux; …`` idiom on both
  sides, or a SHELL with ``-e``), and left alone otherwise.
- NotJoined: a background job (``&``) in an earlier script (its process would outlive its RUN and
  overlap the later commands), a shell comment at the end of an earlier script (it would comment
  out what follows), ``$$``/``BASHPID`` in a script that would move into a subshell, and a
  ``# dockopt:`` pragma between the two (it speaks about the later instruction).

Text: the later RUN's keyword and flags give way to a continuation in the file's own style
(``&& \\`` at line ends or ``\\`` then ``&&`` at line starts, the file's indentation and escape
character). Comment lines between the RUNs stay where they are — BuildKit allows comment lines
inside a continuation; blank lines between them are dropped, because a blank line inside a
continuation is deprecated (BuildKit warns ``NoEmptyContinuation``).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Protocol, cast

from ..core.findings import Edit
from ..syntax import Blank, Comment, Dockerfile, Instruction
from .model import Script
from .run import run_analysis, script_parses_cleanly
from .style import detect_style


class Source(Protocol):
    """What joining reads: the tree and its text (the rules' per-round facts qualify)."""

    @property
    def tree(self) -> Dockerfile: ...

    @property
    def text(self) -> str: ...


_PRAGMA = "dockopt:"


@dataclass(frozen=True)
class NotJoined:
    reason: str  # a stable key, counted in reports: "flags-differ", "heredoc", …
    detail: str = ""


@dataclass(frozen=True)
class MergePlan:
    chain: tuple[Instruction, ...]
    edits: tuple[Edit, ...]
    script: str  # the merged script, as the shell will see it
    wrapped: tuple[bool, ...]  # per instruction: moved into a subshell


def _between(ctx: Source, first: Instruction, second: Instruction) -> list | None:
    """The nodes between two instructions, or None when something other than trivia is there."""
    nodes = ctx.tree.nodes
    i, j = nodes.index(first), nodes.index(second)
    middle = nodes[i + 1 : j]
    if any(not isinstance(node, (Comment, Blank)) for node in middle):
        return None
    return middle


def script_of(ctx: Source, instruction: Instruction) -> Script | NotJoined:
    if instruction.name != "RUN" or instruction.parent is not None or instruction.sub is not None:
        return NotJoined("not-run")
    if instruction.json:
        return NotJoined("exec-form")
    if instruction.heredocs:
        return NotJoined("heredoc")
    analysis = run_analysis(ctx.tree, instruction)
    if analysis.script is None:
        return NotJoined(str(analysis.reason or "unanalysable"), analysis.detail)
    return analysis.script


def pair_blocker(ctx: Source, first: Instruction, second: Instruction) -> NotJoined | None:
    """Why ``first`` and ``second`` (consecutive RUNs) cannot become one, or None."""
    if first.stage != second.stage:
        return NotJoined("different-stage")
    middle = _between(ctx, first, second)
    if middle is None:
        return NotJoined("instruction-between")
    if any(_PRAGMA in node.text for node in middle if isinstance(node, Comment)):
        return NotJoined("pragma-between")
    if sorted(f.text for f in first.flags) != sorted(f.text for f in second.flags):
        return NotJoined("flags-differ")
    for instruction in (first, second):
        script = script_of(ctx, instruction)
        if isinstance(script, NotJoined):
            return script
    earlier = script_of(ctx, first)
    assert isinstance(earlier, Script)
    if any(s.background for s in _all_statements(earlier)) or any(c.background for c in earlier.commands):
        return NotJoined("background-job")
    if earlier.ends_in_comment:
        return NotJoined("comment-in-script")
    later = script_of(ctx, second)
    assert isinstance(later, Script)
    if not earlier.statements or not later.statements:
        return NotJoined("empty")
    if _READS_LAST_COMMAND.search(later.text):
        # `$_`, `$!`, PIPESTATUS describe the last command the shell ran: in a RUN of its own
        # nothing ran before, merged they would describe the earlier script's last command.
        return NotJoined("reads-shell-state")
    return None


_READS_LAST_COMMAND = re.compile(r"\$_(?![A-Za-z0-9_])|\$\{_\}|\$!|\$\{!\}|PIPESTATUS")


def _all_statements(script: Script):
    todo = list(script.statements)
    while todo:
        statement = todo.pop()
        yield statement
        for pipeline in statement.pipelines:
            for element in pipeline.elements:
                todo.extend(getattr(element, "body", []))


def _plain_and_list(script: Script, operators: tuple[str, ...]) -> bool:
    """One top-level statement, joined only by ``operators``, with no terminator after it."""
    if len(script.statements) != 1:
        return False
    statement = script.statements[0]
    return statement.terminator in (None,) and all(op in operators for op in statement.operators)


def _opening_set(script: Script) -> str | None:
    """The text of a leading ``set -e…`` (errexit on, nothing switched off), or None."""
    first = script.commands[0] if script.commands else None
    if first is None or first.name != "set" or not first.top_level or first.index != 0:
        return None
    flags = [w.value for w in first.args]
    if not flags or any(f is None or f.startswith("+") for f in flags):
        return None
    static = cast("list[str]", flags)  # no None left: checked just above
    if not any(f.startswith("-") and not f.startswith("--") and "e" in f[1:] for f in static):
        return None
    return first.text


def uses_errexit(script: Script) -> bool:
    """``set -e`` is or may become active: from the SHELL/shebang options or a ``set`` in the script."""
    if script.errexit:
        return True
    for command in script.commands:
        if command.state in ("source", ".", "eval", "dynamic"):
            return True  # a sourced file, an eval or a computed command may run `set -e`
        if command.name != "set":
            continue
        values = [w.value or "" for w in command.args]
        if any(v.startswith(("-", "+")) and not v.startswith("--") and "e" in v[1:] for v in values):
            return True
        if "errexit" in values or any(w.value is None for w in command.args):
            return True
    return False


def errexit_join(earlier: Script, later: Script) -> bool:
    """``EARLIER; LATER`` is exact when ``set -e`` is in force through EARLIER.

    Under ``set -e`` the shell stops at the first failing command, so reaching LATER means EARLIER
    succeeded, as ``&&`` would require. Two shapes qualify: the docker-library idiom, where both
    scripts open with the same ``set -e…`` and EARLIER changes no other state (LATER would set up
    the same options itself); and a SHELL with ``-e`` where EARLIER changes no state at all.
    """
    last = earlier.last_statement
    if last is None or len(last.pipelines) != 1 or last.pipelines[0].negated:
        # `set -e` does not stop at `a && b` failing in `a`, nor at `! p`: the earlier RUN would
        # have failed (its exit status is that of its last statement), a `;` join would go on.
        return False
    if earlier.errexit and later.errexit and not earlier.state_changes:
        return True
    opening = _opening_set(earlier)
    if opening is None or _opening_set(later) != opening:
        return False
    return all(change.command is earlier.commands[0] for change in earlier.state_changes)


def _joints(scripts: list[Script]) -> list[str]:
    """The operator between each neighbour pair: ";" for an errexit join, "&&" otherwise."""
    return [";" if errexit_join(a, b) else "&&" for a, b in itertools.pairwise(scripts)]


def _wraps(scripts: list[Script], joints: list[str]) -> list[bool]:
    wrapped = []
    for index, script in enumerate(scripts):
        after = joints[index] if index < len(joints) else None
        before = joints[index - 1] if index > 0 else None
        as_earlier = after == "&&" and (script.leaks_state or not _plain_and_list(script, ("&&", "||")))
        as_later = before == "&&" and not _plain_and_list(script, ("&&",))
        wrapped.append(as_earlier or as_later)
    return wrapped


def _glue(text: str, operator: str) -> str:
    """Text joined after a script: ``; `` needs no second ``;`` when the script already ends in one."""
    return "" if operator == ";" and text.rstrip().endswith(";") else operator


def plan_merge(ctx: Source, chain: list[Instruction]) -> MergePlan | NotJoined:
    """The edits that turn ``chain`` (consecutive RUNs, in order) into one RUN, or why not."""
    if len(chain) < 2:
        return NotJoined("single")
    for first, second in itertools.pairwise(chain):
        blocker = pair_blocker(ctx, first, second)
        if blocker is not None:
            return blocker
    scripts: list[Script] = [script_of(ctx, instruction) for instruction in chain]  # type: ignore[misc]
    joints = _joints(scripts)
    wrapped = _wraps(scripts, joints)
    for index, (script, wrap) in enumerate(zip(scripts, wrapped, strict=False)):
        if wrap and ("$$" in script.text or "BASHPID" in script.text):
            return NotJoined("pid-in-subshell")
        if wrap and index < len(joints) and joints[index] == "&&" and uses_errexit(script):
            # POSIX: `set -e` is ignored inside any command of an AND-OR list but the last, so
            # `( set -e; a; b ) && next` would no longer stop at a failing `a`.
            return NotJoined("errexit-in-subshell")
    parts = [f"({s.text})" if wrap else s.text for s, wrap in zip(scripts, wrapped, strict=False)]
    merged = parts[0]
    for part, operator in zip(parts[1:], joints, strict=False):
        glue = _glue(merged, operator)
        merged += f"{glue} {part}" if glue else f" {part}"
    if not script_parses_cleanly(merged):
        return NotJoined("merged-script-unparseable")

    style = detect_style(ctx.tree)
    edits: list[Edit] = []
    for index, (instruction, script, wrap) in enumerate(zip(chain, scripts, wrapped, strict=False)):
        start = script.to_source(0)
        end = script.to_source_end(len(script.text))
        if start is None or end is None:
            return NotJoined("unmapped-script")
        if index > 0:
            previous, before = chain[index - 1], scripts[index - 1]
            previous_end = before.to_source_end(len(before.text))
            assert previous_end is not None  # the previous iteration returned early otherwise
            operator = _glue(f"({before.text})" if wrapped[index - 1] else before.text, joints[index - 1])
            edits.append(Edit(previous_end, start, _joint(ctx, previous, instruction, style, wrap, operator)))
        elif wrap:
            edits.append(Edit.insert(start, "("))
        if wrap:
            edits.append(Edit.insert(end, ")"))
    return MergePlan(tuple(chain), tuple(edits), merged, tuple(wrapped))


def _joint(
    ctx: Source, previous: Instruction, instruction: Instruction, style, wrap: bool, operator: str
) -> str:
    """What replaces the end of one RUN's line up to the start of the next one's script.

    ``operator`` is "&&", ";" or "" (the earlier script already ends in ``;``).
    """
    comments = "".join(
        node.text + ("" if node.text.endswith("\n") else ctx.tree.newline)
        for node in _between(ctx, previous, instruction) or []
        if isinstance(node, Comment)
    )
    opener = "(" if wrap else ""
    if operator == "&&" and style.operator_position == "leading":
        return f" {style.escape}{style.newline}{comments}{style.indent}&& {opener}"
    tail = {"&&": " &&", ";": ";", "": ""}[operator]
    return f"{tail} {style.escape}{style.newline}{comments}{style.indent}{opener}"
