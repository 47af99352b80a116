"""The script a RUN instruction hands to its shell, modelled — or the reason it is left alone.

What runs is decided the way BuildKit's ``dispatchRun`` decides it: a shell-form RUN passes its
command line to the stage's SHELL (``/bin/sh -c`` unless a SHELL instruction, in this stage or a stage
it is built ``FROM``, says otherwise); a RUN whose command line is a single heredoc word runs the
heredoc body (as a file when it starts with ``#!``, else through the shell); any other RUN with
heredocs passes the line and the bodies glued together (``line\\nbody\\nEOF``) to the shell.

A script is declined, never guessed at, when the shell is not a POSIX one (PowerShell, cmd, a Windows
base image), a heredoc's shebang names another interpreter, or tree-sitter cannot read it cleanly.
"""

from __future__ import annotations

import posixpath
import re
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from weakref import WeakKeyDictionary

from optimizer.syntax import Dockerfile, Heredoc, Instruction
from optimizer.syntax.buildkit import heredoc_from_word

from .build import Unsupported, build_script, parse_tree
from .mapping import ScriptMap
from .model import Script

POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash", "ksh", "mksh", "busybox"})
DEFAULT_SHELL = ("/bin/sh", "-c")
WINDOWS_SHELL = ("cmd", "/S", "/C")
# A Windows base image (its default shell is cmd): the one place dockopt decides this.
_WINDOWS_BASE_RE = re.compile(
    r"mcr\.microsoft\.com/(windows|dotnet/framework)|windowsservercore|servercore|nanoserver|ltsc20\d\d",
    re.IGNORECASE,
)
_LEADING_TABS_RE = re.compile(r"^\t+", re.MULTILINE)


class Declined(StrEnum):
    """Why a RUN has no script model. Rules leave such a RUN untouched."""

    NOT_RUN = "not-run"
    EXEC_FORM = "exec-form"  # RUN ["…"]: no shell involved
    EMPTY = "empty"
    WINDOWS = "windows-stage"  # a Windows base image: cmd.exe unless SHELL says otherwise
    NON_POSIX_SHELL = "non-posix-shell"  # SHELL ["powershell", …], ["cmd", …], …
    SHEBANG = "non-shell-shebang"  # RUN <<EOF with #!/usr/bin/env python
    PARSE_ERROR = "parse-error"  # tree-sitter-bash reports ERROR or MISSING nodes
    UNSUPPORTED = "unsupported-syntax"  # parses, but the tree would misstate what the shell does


@dataclass(frozen=True)
class RunAnalysis:
    script: Script | None
    reason: Declined | None = None
    detail: str = ""


class ShellSyntaxError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


_cache: WeakKeyDictionary[Instruction, RunAnalysis] = WeakKeyDictionary()


def analyse_run(tree: Dockerfile, instruction: Instruction) -> Script | None:
    """The model of a RUN's script, or None when it is not analysable (see ``run_analysis``)."""
    return run_analysis(tree, instruction).script


@dataclass
class _Reusable:
    """An analysis kept by content: the offset it was made at and the tree that uses it now."""

    analysis: RunAnalysis
    start: int
    owner: weakref.ref[Dockerfile] | None  # None: free (its tree was released)


# Analyses by content: a RUN whose text and shell are unchanged since an earlier round of the fix
# loop (a new tree, the same bytes, perhaps moved by an edit before it) has the same script model;
# its map into the Dockerfile is shifted to the new place. An analysis serves one instruction of one
# tree: it is handed on only when that tree was released (``release``: the fix loop releases a
# round's tree when the next round starts), so a shift never moves a script someone still reads.
_by_content: OrderedDict[tuple[str, tuple[str, ...], bool], list[_Reusable]] = OrderedDict()
_BY_CONTENT_SIZE = 4096
_PER_TEXT = 8  # analyses kept per RUN text (a file with the same RUN in several stages needs several)


def run_analysis(tree: Dockerfile, instruction: Instruction) -> RunAnalysis:
    """The model of a RUN's (or ``ONBUILD RUN``'s) script, or the reason there is none. Cached."""
    cached = _cache.get(instruction)
    if cached is None:
        cached = _reuse_or_analyse(tree, instruction)
        _cache[instruction] = cached
    return cached


_owned: dict[int, list[_Reusable]] = {}


def release(tree: Dockerfile) -> None:
    """``tree`` is no longer used (the fix loop moved on to the next round's text): its analyses
    may serve the same RUN text in a later tree."""
    for entry in _owned.pop(id(tree), ()):
        if entry.owner is not None and entry.owner() is tree:
            entry.owner = None


def _reuse_or_analyse(tree: Dockerfile, instruction: Instruction) -> RunAnalysis:
    key = (instruction.text, *_stage_shell(tree, instruction))
    entries = _by_content.get(key)
    if entries is not None:
        _by_content.move_to_end(key)
        for entry in entries:
            if entry.owner is not None:
                continue  # serves an instruction of a tree nobody released (it may still be read)
            script = entry.analysis.script
            if script is not None and script.map is not None:
                script.map.shift = instruction.start - entry.start
            entry.owner = weakref.ref(tree)
            _owned.setdefault(id(tree), []).append(entry)
            return entry.analysis
    analysis = _analyse(tree, instruction)
    if analysis.script is not None and analysis.script.map is not None:
        analysis.script.map.shift = 0
    entry = _Reusable(analysis, instruction.start, weakref.ref(tree))
    kept = _by_content.setdefault(key, [])
    kept.append(entry)
    if len(kept) > _PER_TEXT:
        del kept[0]
    _owned.setdefault(id(tree), []).append(entry)
    if len(_by_content) > _BY_CONTENT_SIZE:
        _by_content.popitem(last=False)
    return analysis


def parse_script(text: str) -> Script:
    """The model of a plain script (no Dockerfile offsets); raises ``ShellSyntaxError``."""
    try:
        root, reader = parse_tree(text)
        error = _first_error(root)
        if error is not None:
            raise ShellSyntaxError(f"cannot parse the script near {text[reader.offset(error) :][:20]!r}",
                                   reader.offset(error))  # fmt: skip
        return build_script(text, root, reader)
    except Unsupported as exc:
        raise ShellSyntaxError(str(exc), 0) from exc
    except RecursionError:
        raise ShellSyntaxError("script nested too deeply to analyse", 0) from None


def script_parses_cleanly(text: str) -> bool:
    """True when tree-sitter-bash reads ``text`` without errors and the model understands it."""
    try:
        parse_script(text)
    except ShellSyntaxError:
        return False
    return True


def stage_shell(tree: Dockerfile, instruction: Instruction) -> tuple[str, ...]:
    """The SHELL in effect for ``instruction``: the last SHELL before it in its stage or its bases."""
    return _stage_shell(tree, instruction)[0]


def _stage_shell(tree: Dockerfile, instruction: Instruction) -> tuple[tuple[str, ...], bool]:
    """The shell, and whether it is the default of a Windows base image (no SHELL instruction)."""
    target = instruction.parent or instruction
    if target.stage is None or target.stage >= len(tree.stages):
        return DEFAULT_SHELL, False
    stage = tree.stages[target.stage]
    seen: set[int] = set()
    limit: Instruction | None = target
    while True:
        seen.add(stage.index)
        for item in reversed(_before(stage.instructions, limit)):
            if item.name == "SHELL" and item.json and item.value:
                return tuple(item.value), False
        if stage.platform and stage.platform.lower().startswith("windows"):
            return WINDOWS_SHELL, True
        if _WINDOWS_BASE_RE.search(stage.base):
            return WINDOWS_SHELL, True
        base = stage.base.lower()
        parent = next((s for s in tree.stages[: stage.index] if s.name and s.name == base), None)
        if parent is None or parent.index in seen:
            return DEFAULT_SHELL, False
        stage, limit = parent, None


def _before(instructions: list[Instruction], limit: Instruction | None) -> list[Instruction]:
    if limit is None:
        return instructions
    for index, item in enumerate(instructions):
        if item is limit:
            return instructions[:index]
    return instructions


def is_posix_shell(shell: tuple[str, ...]) -> bool:
    if not shell:
        return False
    name = posixpath.basename(shell[0].replace("\\", "/")).lower().removesuffix(".exe")
    if name == "busybox":
        return len(shell) > 1 and shell[1] in ("sh", "ash")
    return name in POSIX_SHELLS


def _analyse(tree: Dockerfile, instruction: Instruction) -> RunAnalysis:
    run = instruction.sub or instruction
    if run.name != "RUN":
        return RunAnalysis(None, Declined.NOT_RUN, run.name)
    if run.json:
        return RunAnalysis(None, Declined.EXEC_FORM)
    if not run.args.strip():
        return RunAnalysis(None, Declined.EMPTY)
    shell, windows = _stage_shell(tree, instruction)
    if not is_posix_shell(shell):
        reason = Declined.WINDOWS if windows else Declined.NON_POSIX_SHELL
        return RunAnalysis(None, reason, " ".join(shell))
    text, script_map, origin = _command_line(run, instruction)
    if run.heredocs and heredoc_from_word(run.args) is not None:
        doc = run.heredocs[0]
        if doc.content.startswith("#!"):
            shebang = _shebang(doc.content)
            if not is_posix_shell(shebang):
                return RunAnalysis(None, Declined.SHEBANG, " ".join(shebang))
            shell = shebang
        text, script_map, origin = _heredoc_script(doc)
    try:
        root, reader = parse_tree(text)
        error = _first_error(root)
        if error is not None:
            offset = reader.offset(error)
            return RunAnalysis(None, Declined.PARSE_ERROR, f"near {text[offset:][:30]!r}")
        script = build_script(text, root, reader)
    except Unsupported as exc:
        return RunAnalysis(None, Declined.UNSUPPORTED, str(exc))
    except RecursionError:
        # The model walks the syntax tree recursively; a chain of ~1000 commands nests that deep.
        return RunAnalysis(None, Declined.UNSUPPORTED, "script nested too deeply to analyse")
    script.map = script_map
    script.shell = shell
    script.origin = origin
    return RunAnalysis(script)


def _command_line(run: Instruction, outer: Instruction) -> tuple[str, ScriptMap, str]:
    """The command line (with heredoc bodies glued on, as BuildKit does when there are any)."""
    text = run.args
    script_map = ScriptMap.from_instruction(run.source_map, run.args_start, len(text))
    for doc in run.heredocs:
        script_map.add(len(text), doc.body_start - 1, synthetic=True)
        text += "\n"
        script_map.add(len(text), doc.body_start)
        text += doc.content
        script_map.add(len(text), _terminator_name_start(doc, outer))
        text += doc.name
    script_map.length = len(text)
    return text, script_map, "line"


def _heredoc_script(doc: Heredoc) -> tuple[str, ScriptMap, str]:
    """A heredoc body run as the script; ``<<-`` strips leading tabs line by line."""
    script_map = ScriptMap()
    if not doc.chomp:
        script_map.add(0, doc.body_start)
        script_map.length = len(doc.content)
        return doc.content, script_map, "heredoc"
    parts: list[str] = []
    length = 0
    source = doc.body_start
    for line in doc.content.splitlines(keepends=True):
        stripped = _LEADING_TABS_RE.sub("", line, count=1)
        script_map.add(length, source + len(line) - len(stripped))
        parts.append(stripped)
        length += len(stripped)
        source += len(line)
    script_map.length = length
    return "".join(parts), script_map, "heredoc"


def _terminator_name_start(doc: Heredoc, outer: Instruction) -> int:
    """Where the delimiter word sits on its terminator line (after the tabs ``<<-`` allows)."""
    line = outer.text[doc.terminator_start - outer.start : doc.terminator_end - outer.start]
    return doc.terminator_start + max(line.find(doc.name), 0)


def _shebang(content: str) -> tuple[str, ...]:
    words = content.splitlines()[0][2:].split()
    if words and posixpath.basename(words[0]) == "env":
        words = [w for w in words[1:] if not w.startswith("-")]
    return tuple(words) or ("",)


def _first_error(root: Any) -> int | None:
    """Byte offset of the first ERROR or MISSING node, or None."""
    if not root.has_error:
        return None
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            return int(node.start_byte)
        stack.extend(child for child in reversed(node.children) if child.has_error)
    return int(root.start_byte)
