"""The model of a RUN script: statements, pipelines and commands with spans.

Rules ask a handful of questions about a script — which commands run, in which order, joined by which
operators, whether one runs every time the script succeeds, whether it changes the shell state that a
later command would see, and where it is in the Dockerfile — so the model answers those directly and
hides the tree-sitter tree. All offsets are ``str`` offsets into ``Script.text``; ``Script.to_source``
turns them into offsets into the Dockerfile text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .mapping import ScriptMap

Span = tuple[int, int]

# Constructs a command can sit inside (``Command.context``, outermost first).
SUBSHELL = "subshell"  # ( … ): its own shell, nothing leaks out
GROUP = "group"  # { …; }: runs in the current shell
IF = "if"  # condition and branches of if / elif / else
LOOP = "loop"  # for, while, until, select, for (( … ))
CASE = "case"
FUNCTION = "function"  # a function body: runs only when called
SUBSTITUTION = "substitution"  # $( … ), ` … `, <( … ), >( … )
CONDITIONAL_CONTEXTS = frozenset({IF, LOOP, CASE, FUNCTION})
SAME_SHELL_CONTEXTS = frozenset({GROUP, IF, LOOP, CASE})
# Where a command may not run whenever the script gets that far, or runs only for its output: rules
# that edit a command leave it alone there.
GUARDED_CONTEXTS = CONDITIONAL_CONTEXTS | {SUBSTITUTION}


@dataclass(frozen=True, eq=False, init=False, slots=True)
class Word:
    """One word as written, and its value once the shell removed quotes — when that is static."""

    text: str
    value: str | None  # None: it contains an expansion ($VAR, $(…), $((…)), …)
    span: Span
    pattern: bool = False  # unquoted glob, brace or tilde: ``value`` is a pattern, not the final word

    def __init__(self, text: str, value: str | None, span: Span, pattern: bool = False) -> None:
        # The most numerous object of the model (every word of every RUN): slots, so that a word is one
        # object rather than an object and its ``__dict__`` (half the allocations, and what the cyclic
        # collector has to walk), filled through the slot descriptors, as frozen forbids ``self.x = x``.
        _set_text(self, text)
        _set_value(self, value)
        _set_span(self, span)
        _set_pattern(self, pattern)

    @property
    def dynamic(self) -> bool:
        return self.value is None

    def __repr__(self) -> str:
        return f"Word({self.text!r})"


# The slot descriptors' setters, taken from the class dict (to mypy ``Word.text`` is a ``str``).
_set_text, _set_value, _set_span, _set_pattern = (
    Word.__dict__[name].__set__ for name in ("text", "value", "span", "pattern")
)


@dataclass(frozen=True, eq=False)
class Assignment:
    """``NAME=value`` or ``NAME+=value``: before a command, alone, or as a declaration argument."""

    name: str
    value: Word | None  # None for ``NAME=`` (empty)
    span: Span
    append: bool = False


@dataclass(frozen=True, eq=False)
class Redirect:
    """``>file``, ``2>&1``, ``<<EOF``, ``<<<word``: operator, optional fd, and target.

    For a heredoc the target is the delimiter word and ``span`` covers only ``<<EOF`` on the command's
    line; the body, on the lines after, is ``heredoc_body`` at ``heredoc_span``.
    """

    operator: str
    fd: int | None
    target: Word | None
    span: Span
    heredoc_body: str | None = None
    heredoc_span: Span | None = None


@dataclass(eq=False)
class Command:
    """A simple command (or a bare assignment, or a declaration builtin such as ``export``)."""

    words: list[Word]  # argv as written: the command name first; empty for a bare ``FOO=bar``
    assignments: list[Assignment]
    redirects: list[Redirect]
    span: Span
    context: tuple[str, ...] = ()  # enclosing constructs, outermost first; () means top level
    conditional: bool = False  # runs only on some paths: after ``||``, in if/loop/case/function bodies
    in_pipeline: bool = False  # one element of ``a | b``: runs in a subshell
    background: bool = False  # part of a statement ended by ``&``
    main_shell: bool = True  # runs in the script's own shell (not a subshell, pipe, job or function)
    state: str | None = None  # the shell state it changes for later commands, e.g. "cd", "export"
    index: int = 0  # position in ``Script.commands``
    script: Script | None = field(default=None, repr=False)

    @property
    def name(self) -> str | None:
        """The static command name, or None (dynamic name or a bare assignment)."""
        return self.words[0].value if self.words else None

    @property
    def args(self) -> list[Word]:
        return self.words[1:]

    @property
    def argv(self) -> list[str | None]:
        return [word.value for word in self.words]

    @property
    def top_level(self) -> bool:
        """Not inside any group, subshell, control-flow body, function or substitution."""
        return not self.context

    @property
    def unconditional(self) -> bool:
        """Runs whenever the statements before it succeed (not behind ``||``, if, loops, case, functions)."""
        return not self.conditional

    @property
    def changes_state(self) -> bool:
        return self.state is not None

    @property
    def leaks(self) -> bool:
        """Its state change outlives its statement: later commands of the script (or a merged RUN) see it."""
        return self.state is not None and self.main_shell

    @property
    def text(self) -> str:
        return self.script.text[self.span[0] : self.span[1]] if self.script else ""

    @property
    def source_span(self) -> Span | None:
        """The command's span in the Dockerfile text (None for a script not taken from a Dockerfile)."""
        return self.script.source_span(self.span) if self.script else None

    @property
    def source_exact(self) -> bool:
        """True when ``source_span`` reads exactly as ``text`` (the command does not cross a continuation)."""
        return self.script.exact(self.span) if self.script else False


@dataclass(eq=False)
class Compound:
    """A compound command: subshell, group, if, loop, case, function definition, ``[[ ]]``, ``(( ))``."""

    kind: str  # SUBSHELL, GROUP, IF, LOOP, CASE, FUNCTION, "test", "arithmetic", or a tree-sitter type
    span: Span
    body: list[Statement] = field(default_factory=list)  # nested statements in source order
    redirects: list[Redirect] = field(default_factory=list)
    name: str | None = None  # a function's name


Element = Command | Compound


@dataclass(eq=False)
class Pipeline:
    """``a | b |& c``, possibly negated with ``!``; a single command is a pipeline of one."""

    elements: list[Element]
    operators: list[str]  # "|" or "|&", one fewer than elements
    span: Span
    negated: bool = False

    @property
    def commands(self) -> list[Command]:
        return [item for item in self.elements if isinstance(item, Command)]


@dataclass(eq=False)
class Statement:
    """An AND-OR list: pipelines joined by ``&&``/``||``, ended by ``;``, ``&``, a newline or the end."""

    pipelines: list[Pipeline]
    operators: list[str]  # "&&" or "||", one fewer than pipelines
    span: Span
    terminator: str | None = None  # ";", "&", "\n", ";;"-style case terminators, or None at the end
    terminator_span: Span | None = None

    @property
    def background(self) -> bool:
        return self.terminator == "&"

    @property
    def last_pipeline(self) -> Pipeline:
        return self.pipelines[-1]


@dataclass(frozen=True)
class StateChange:
    """Something in the script that later commands in the same shell would see."""

    kind: str  # "cd", "export", "assignment", "function", "eval", "dynamic", …
    span: Span
    command: Command | None  # None for a function definition or an ``${X:=…}``/``((x=1))`` side effect


@dataclass(eq=False)
class Script:
    """A shell script (a RUN's command line or heredoc body) and what is in it."""

    text: str
    statements: list[Statement]  # the top-level AND-OR lists, in order
    commands: list[Command]  # every simple command, nested ones included, in source order
    state_changes: list[StateChange]  # those that leak past their top-level statement
    map: ScriptMap | None = None  # None when the script did not come from a Dockerfile
    shell: tuple[str, ...] = ("/bin/sh", "-c")  # the shell that runs it (SHELL or a heredoc shebang)
    origin: str = "line"  # "line": the RUN's command line; "heredoc": a heredoc body run as the script
    comments: list[Span] = field(default_factory=list)

    @property
    def top_level_operators(self) -> list[str | None]:
        """The separator after each top-level statement (";", "&", "\\n", or None after the last)."""
        return [statement.terminator for statement in self.statements]

    @property
    def last_statement(self) -> Statement | None:
        return self.statements[-1] if self.statements else None

    @property
    def last_pipeline(self) -> Pipeline | None:
        """The pipeline whose status is the script's exit status (when it is the last one executed)."""
        return self.statements[-1].pipelines[-1] if self.statements else None

    @property
    def ends_in_comment(self) -> bool:
        """A ``# …`` runs to the end of the script: text appended after it would be commented out."""
        return bool(self.comments) and not self.text[self.comments[-1][1] :].strip("\r\n\t ")

    @property
    def leaks_state(self) -> bool:
        return bool(self.state_changes)

    @property
    def errexit(self) -> bool:
        """``set -e`` in effect from the start (a ``-e`` in the SHELL or shebang options)."""
        return _shell_option(self.shell, "e") or "errexit" in self.shell

    @property
    def pipefail(self) -> bool:
        return "pipefail" in self.shell

    def top_level_commands(self) -> list[Command]:
        return [command for command in self.commands if command.top_level]

    def to_source(self, offset: int) -> int | None:
        """Dockerfile offset of the script character at ``offset`` (for starts and insertions before it)."""
        return self.map.to_source(offset) if self.map else None

    def to_source_end(self, offset: int) -> int | None:
        """Dockerfile offset just past the script character at ``offset - 1`` (for ends, insertions after)."""
        return self.map.to_source_end(offset) if self.map else None

    def source_span(self, span: Span) -> Span | None:
        return self.map.span(*span) if self.map else None

    def exact(self, span: Span) -> bool:
        return self.map.exact(*span) if self.map else False

    def slice(self, span: Span) -> str:
        return self.text[span[0] : span[1]]


def _shell_option(shell: tuple[str, ...], letter: str) -> bool:
    # `sh -c -e script`: options may follow -c (POSIX: sh -c [-abCefhimnuvx] … command_string), and
    # Docker appends the script as the last argument, so every option word before it counts.
    for arg in shell[1:]:
        if arg == "--" or not arg.startswith(("-", "+")):
            break
        if arg.startswith("-") and not arg.startswith("--") and letter in arg[1:] and arg != "-c":
            return True
    return False
