"""From a tree-sitter-bash tree to the script model.

The grammar's tree is close to the shell's, but its precedence is wrong in places (see
``_Builder.statement``): lists and pipelines are therefore read off as a flat run of commands and
operators and regrouped by the shell's own grammar, redirects are given to the command they belong to,
and text the grammar hides inside a heredoc node (``cat <<EOF | sh``) is put back in line. A tree that
still does not fit raises ``Unsupported``, so a script is never modelled as something it is not.
"""

from __future__ import annotations

import re
from dataclasses import fields
from operator import attrgetter
from typing import Any, NamedTuple

from . import grammar
from .model import (
    CASE,
    FUNCTION,
    GROUP,
    IF,
    LOOP,
    SUBSHELL,
    SUBSTITUTION,
    Assignment,
    Command,
    Compound,
    Element,
    Pipeline,
    Redirect,
    Script,
    StateChange,
    Statement,
    Word,
)
from .state import command_state
from .words import WordReader

STATEMENT_TYPES = frozenset(
    {
        "command", "list", "pipeline", "negated_command", "redirected_statement", "variable_assignment",
        "variable_assignments", "declaration_command", "unset_command", "test_command",
        "compound_statement", "subshell", "if_statement", "for_statement", "c_style_for_statement",
        "while_statement", "case_statement", "function_definition",
    }
)  # fmt: skip
TERMINATORS = frozenset({";", "&", ";;", ";&", ";;&"})
_WRAPPERS = frozenset({"do_group", "elif_clause", "else_clause", "case_item"})
_LOOPS = frozenset({"for_statement", "c_style_for_statement", "while_statement"})
_HEREDOC_PARTS = frozenset({"<<", "<<-", "heredoc_start", "heredoc_body", "heredoc_end", "file_redirect"})
_ARITH_ASSIGN = frozenset({"=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|=", "++", "--"})
_KINDS = {"if_statement": IF, "case_statement": CASE}
_CHAIN_OPERATORS = frozenset({"&&", "||", "|", "|&"})
_NOT_COMMANDS = frozenset({"list", "pipeline", "negated_command", "redirected_statement"})
_SIMPLE_COMMANDS = frozenset(
    {"command", "variable_assignment", "variable_assignments", "declaration_command", "unset_command"}
)


class Unsupported(Exception):
    """The tree parsed without errors but does not mean what the shell would read."""


# Every node whose text lacks all of these is free of substitutions (``$(…)``, `` `…` ``, ``<(…)``),
# arithmetic (``$((…))``, ``$[…]``) and ``${X:=…}``: nothing ``_Builder.scan`` looks for is inside.
_MAY_RUN_RE = re.compile(rb"[$`(]")


class _Ctx(NamedTuple):
    """Where the statements being read sit. A NamedTuple: one is made per pipeline, body and
    substitution, and a tuple is much cheaper to make than a frozen dataclass. Its fields are the
    ``Command`` fields after ``span``, in their order: ``_command`` passes it on as it is."""

    context: tuple[str, ...] = ()
    conditional: bool = False
    in_pipeline: bool = False
    background: bool = False
    main_shell: bool = True

    def inside(self, kind: str, *, conditional: bool = False, own_shell: bool = False) -> _Ctx:
        return _Ctx(
            (*self.context, kind),
            self.conditional or conditional,
            self.in_pipeline,
            self.background,
            self.main_shell and not own_shell,
        )


def parse_tree(text: str) -> tuple[Any, WordReader]:
    data = text.encode("utf-8", "surrogatepass")
    return grammar.parse_bytes(data).root_node, WordReader(text, data)


def build_script(text: str, root: Any, reader: WordReader) -> Script:
    """The model of a script whose tree has no ERROR/MISSING nodes; raises ``Unsupported``."""
    builder = _Builder(reader)
    statements = builder.sequence(root.children, _Ctx())
    commands = sorted(builder.commands, key=_span)
    script = Script(
        text=text,
        statements=statements,
        commands=commands,
        state_changes=sorted(builder.changes, key=_span),
        comments=builder.comments,
    )
    for index, command in enumerate(commands):
        command.index = index
        command.script = script
    return script


# ``Command(words, assignments, redirects, span, *ctx)`` relies on this (checked once, at import).
assert _Ctx._fields == tuple(f.name for f in fields(Command))[4:9], "_Ctx must mirror Command's fields"

_span = attrgetter("span")


class _Builder:
    def __init__(self, reader: WordReader) -> None:
        self.r = reader
        self.commands: list[Command] = []
        self.changes: list[StateChange] = []
        self.comments: list[tuple[int, int]] = []

    # -- sequences of statements ---------------------------------------------------------------

    def sequence(self, children: Any, ctx: _Ctx) -> list[Statement]:
        """Statements among ``children`` with their terminators; other named nodes are scanned."""
        items: list[list[Any]] = []  # [node, terminator token or None]
        for child in children:
            kind = child.type
            if not child.is_named:
                if kind in TERMINATORS and items and items[-1][1] is None:
                    items[-1][1] = child
                continue
            if kind == "comment":
                self.comments.append(self.r.span(child))
            elif kind in STATEMENT_TYPES:
                items.append([child, None])
            else:
                self.scan(child, ctx)
        statements: list[Statement] = []
        for position, (node, token) in enumerate(items):
            background = token is not None and token.type == "&"
            inner = ctx._replace(background=True, main_shell=False) if background else ctx
            statement = self.statement(node, inner)
            if token is not None:
                statement.terminator = token.type
                statement.terminator_span = self.r.span(token)
            elif position + 1 < len(items):
                gap = self.r.data[node.end_byte : items[position + 1][0].start_byte]
                statement.terminator = "\n" if b"\n" in gap else None
            statements.append(statement)
        return statements

    def body(self, node: Any, ctx: _Ctx) -> list[Statement]:
        """The statements of a compound command, through do-groups, elif/else clauses and case items."""
        result: list[Statement] = []
        run: list[Any] = []
        bodies = node.type != "redirected_statement"  # whether a "body" field is a nested body
        for index, child in enumerate(node.children):
            kind = child.type
            # The field is looked up only for the kinds it decides about.
            if kind in _WRAPPERS or (
                kind in ("compound_statement", "subshell")
                and bodies
                and node.field_name_for_child(index) == "body"
            ):
                result += self.sequence(run, ctx)
                run = []
                if kind == "subshell":
                    result += self.body(child, ctx.inside(SUBSHELL, own_shell=True))
                else:
                    result += self.body(child, ctx)
            else:
                run.append(child)
        return result + self.sequence(run, ctx)

    # -- AND-OR lists and pipelines --------------------------------------------------------------

    def statement(self, node: Any, ctx: _Ctx) -> Statement:
        """An AND-OR list, re-associated the way the shell reads it.

        The grammar gets precedence wrong in places: ``a | b | c && d`` comes as ``a | (b | c && d)``,
        ``a && b > f`` as ``(a && b) > f`` and ``! a | b`` as ``(! a) | b``. The shell's own grammar is
        flat — pipelines of commands joined by ``|``, AND-OR lists of pipelines joined by ``&&``/``||``,
        a redirect belongs to one command, ``!`` starts a pipeline — so the commands and operators are
        read off in source order and regrouped by that grammar.
        """
        if node.type in _SIMPLE_COMMANDS:
            # A lone simple command (most statements): what ``_flatten``, ``pipeline`` and ``element``
            # make of it without going through them. Its statement, pipeline and command share a span.
            span = self.r.span(node)
            command = self._command(node, ctx, [])
            return Statement([Pipeline([command], [], span, negated=False)], [], span)
        atoms: list[list[Any]] = []  # [node, redirect nodes, negated]
        operators: list[str] = []
        self._flatten(node, atoms, operators, [False])
        if len(operators) != len(atoms) - 1:
            # Seen with a word after a heredoc redirect (`cat <<EOF x`): the grammar's tree does not
            # say how the pieces chain, so the script is not ours to model.
            raise Unsupported("commands and operators do not pair up")
        if not operators:  # one command (or compound): the common case, without the regrouping
            return Statement(
                pipelines=[self.pipeline(atoms, operators, ctx)], operators=[], span=self.r.span(node)
            )
        pipelines: list[Pipeline] = []
        and_or: list[str] = []
        start = 0
        for index in range(len(atoms) + 1):
            if index < len(atoms) and (index == 0 or operators[index - 1] in ("|", "|&")):
                if index > 0 and atoms[index][2]:
                    raise Unsupported("`!` inside a pipeline")
                continue
            conditional = bool(and_or) and and_or[-1] == "||"
            inner = ctx._replace(conditional=True) if conditional and not ctx.conditional else ctx
            pipelines.append(self.pipeline(atoms[start:index], operators[start : index - 1], inner))
            if index < len(atoms):
                and_or.append(operators[index - 1])
            start = index
        return Statement(pipelines=pipelines, operators=and_or, span=self.r.span(node))

    def _flatten(self, node: Any, atoms: list[list[Any]], operators: list[str], negate: list[bool]) -> None:
        kind = node.type
        body = node.child_by_field_name("body") if kind == "redirected_statement" else None
        if body is not None and body.type in ("list", "pipeline", "negated_command"):
            self._flatten(body, atoms, operators, negate)
            atoms[-1][1] += self._redirect_nodes(node)  # the shell gives it to the last command
            self._splice_heredoc_tails(self._redirect_nodes(node), atoms, operators, negate)
            return
        if kind == "negated_command":
            negate[0] = True
            self._flatten(self._members(node)[0], atoms, operators, negate)
            return
        if kind != "list" and kind != "pipeline":
            atoms.append([node, [], negate[0]])
            negate[0] = False
            if kind == "redirected_statement":
                self._splice_heredoc_tails(self._redirect_nodes(node), atoms, operators, negate)
            return
        # As ``_members`` reads them, from the children already at hand (``named_children`` makes new
        # node objects): this list's comments first, then the members in order.
        children = node.children
        kinds = [child.type for child in children]
        if "comment" in kinds:
            for child, child_kind in zip(children, kinds, strict=True):
                if child_kind == "comment" and child.is_named:
                    self.comments.append(self.r.span(child))
        for child, child_kind in zip(children, kinds, strict=True):
            if child_kind in _CHAIN_OPERATORS:
                operators.append(child_kind)
            elif child_kind != "comment" and child.is_named:
                self._flatten(child, atoms, operators, negate)

    def _splice_heredoc_tails(self, redirects: list[Any], atoms: list[list[Any]], operators: list[str],
                              negate: list[bool]) -> None:  # fmt: skip
        """``cat <<EOF | sh && x``: the grammar nests ``| sh && x`` in the heredoc node; put it back."""
        for redirect in redirects:
            if redirect.type != "heredoc_redirect":
                continue
            for child in redirect.children:
                if child.type in _HEREDOC_PARTS or child.type == "comment":
                    continue
                if child.type in ("&&", "||", "|", "|&"):
                    operators.append(child.type)
                elif child.is_named:
                    self._flatten(child, atoms, operators, negate)
                else:
                    raise Unsupported(f"{child.type!r} after a heredoc operator")

    def _members(self, node: Any) -> list[Any]:
        members = []
        for child in node.named_children:
            if child.type == "comment":
                self.comments.append(self.r.span(child))
            else:
                members.append(child)
        return members

    def pipeline(self, atoms: list[list[Any]], operators: list[str], ctx: _Ctx) -> Pipeline:
        offset = self.r.offset
        if len(atoms) == 1:  # one command (most pipelines): the general case below, unrolled
            node, redirects, negated = atoms[0]
            start, end = self.r.span(node)
            if redirects:
                end = max(end, offset(redirects[-1].end_byte))
            return Pipeline([self.element(node, ctx, redirects)], operators, (start, end), negated=negated)
        start, end = offset(atoms[0][0].start_byte), offset(atoms[-1][0].end_byte)
        for _, redirects, _ in atoms:
            if redirects:
                end = max(end, offset(redirects[-1].end_byte))
        ctx = ctx._replace(in_pipeline=True, main_shell=False)
        elements = [self.element(node, ctx, redirects) for node, redirects, _ in atoms]
        return Pipeline(elements, operators, (start, end), negated=atoms[0][2])

    # -- commands ------------------------------------------------------------------------------

    def element(self, node: Any, ctx: _Ctx, extra: list[Any] | tuple[Any, ...] = ()) -> Element:
        redirect_nodes = list(extra)
        kind = node.type
        if kind == "redirected_statement":
            redirect_nodes = self._redirect_nodes(node) + redirect_nodes
            body = node.child_by_field_name("body")
            if body is None:  # `> file` alone: a command with no words
                return self._command(node, ctx, redirect_nodes, own=False)
            node = body
            kind = node.type
        if kind in _NOT_COMMANDS:
            raise Unsupported(f"{kind} where a command was expected")
        if kind in _SIMPLE_COMMANDS:
            return self._command(node, ctx, redirect_nodes)
        compound = self._compound(node, ctx)
        compound.redirects = self._redirects(redirect_nodes, ctx)
        return compound

    def _command(self, node: Any, ctx: _Ctx, redirect_nodes: list[Any], own: bool = True) -> Command:
        words: list[Word] = []
        assignments: list[Assignment] = []
        node_type = node.type
        if node_type == "variable_assignment":
            assignments.append(self._assignment(node, ctx))
            own = False
        elif node_type == "variable_assignments":
            assignments += [self._assignment(item, ctx) for item in node.named_children]
            own = False
        if own:
            self._arguments(node, node_type, ctx, words, assignments, redirect_nodes)
        redirects = self._redirects(redirect_nodes, ctx) if redirect_nodes else []
        span = self.r.span(node)
        if redirects:
            spans = [span] + [r.span for r in redirects]
            span = (min(s[0] for s in spans), max(s[1] for s in spans))
        # Positional (one per command, and keywords cost more): ``_Ctx``'s fields are, in order, the
        # Command fields that follow ``span`` (context, conditional, in_pipeline, background, main_shell).
        command = Command(words, assignments, redirects, span, *ctx)
        state = command.state = command_state(command)
        if state is not None and ctx.main_shell:  # ``command.leaks``
            self.changes.append(StateChange(state, span, command))
        self.commands.append(command)
        return command

    def _arguments(self, node: Any, node_type: str, ctx: _Ctx, words: list[Word], assignments: list[Assignment],
                   redirect_nodes: list[Any]) -> None:  # fmt: skip
        """The children of a command node: its words (name first), assignments and redirect nodes."""
        declaration = node_type in ("declaration_command", "unset_command")
        word, node_word = self.r.word, self.r.node_word
        field_name = node.field_name_for_child
        # The word being collected: its first node and, only when adjacent nodes make one word
        # (``--opt="x"`` may come as two), the list of them all; most words are one node, and a list
        # per word cost more than the rest of the loop.
        first: Any = None
        group: list[Any] | None = None
        pending_end = -1
        for index, child in enumerate(node.children):
            child_type = child.type
            if child_type == "command_name":  # its field is "name": no need to look it up
                target = child.named_child(0) if child.named_child_count else child
            elif child_type == "variable_assignment" and node_type != "declaration_command":
                assignments.append(self._assignment(child, ctx))
                continue
            elif child_type == "variable_assignments":
                assignments += [self._assignment(item, ctx) for item in child.named_children]
                continue
            elif child_type.endswith("_redirect"):
                redirect_nodes.append(child)
                continue
            else:
                field = field_name(index)
                if field == "redirect":
                    redirect_nodes.append(child)
                    continue
                if field != "argument" and not (declaration and child_type != "comment"):
                    continue
                target = child
            if first is None:
                first = target
            elif pending_end == target.start_byte:
                if group is None:
                    group = [first]
                group.append(target)
            else:
                words.append(node_word(first) if group is None else word(group))
                first, group = target, None
            pending_end = target.end_byte
            if target.child_count:
                self.scan(target, ctx)
        if first is not None:
            words.append(node_word(first) if group is None else word(group))

    def _assignment(self, node: Any, ctx: _Ctx) -> Assignment:
        self.scan(node, ctx)
        name_node = node.child_by_field_name("name")
        value_node = node.child_by_field_name("value")
        append = "+=" in [child.type for child in node.children]
        value = self.r.word(value_node) if value_node is not None else None
        name = self.r.node_text(name_node) if name_node is not None else ""
        return Assignment(name=name, value=value, span=self.r.span(node), append=append)

    def _redirect_nodes(self, node: Any) -> list[Any]:
        return [
            child
            for index, child in enumerate(node.children)
            if child.type.endswith("_redirect") or node.field_name_for_child(index) == "redirect"
        ]

    def _redirects(self, nodes: list[Any], ctx: _Ctx) -> list[Redirect]:
        result: list[Redirect] = []
        for node in nodes:
            result.append(self._redirect(node, ctx))
            if node.type == "heredoc_redirect":  # `cat <<EOF > file`: the file redirect sits inside
                result += [self._redirect(c, ctx) for c in node.children if c.type == "file_redirect"]
        return result

    def _redirect(self, node: Any, ctx: _Ctx) -> Redirect:
        if node.type != "heredoc_redirect":
            self.scan(node, ctx)
        fd_node = node.child_by_field_name("descriptor")
        fd_text = self.r.node_text(fd_node) if fd_node is not None else ""
        fd = int(fd_text) if fd_text.isdigit() else None
        operator = next((c.type for c in node.children if not c.is_named), "")
        if node.type == "heredoc_redirect":
            start = next(c for c in node.children if c.type == "heredoc_start")
            body = next((c for c in node.children if c.type == "heredoc_body"), None)
            if body is not None:
                self.scan(body, ctx)
            text = self.r.node_text(start)  # the delimiter: quotes only say "do not expand the body"
            word = Word(text, text.replace("'", "").replace('"', "").replace("\\", ""), self.r.span(start))
            span = (self.r.offset(node.start_byte), word.span[1])  # the body is not on this line
            body_span = self.r.span(body) if body is not None else (span[1], span[1])
            return Redirect(operator, fd, word, span, heredoc_body=self.r.node_text(body) if body else "",
                            heredoc_span=body_span)  # fmt: skip
        targets = [c for i, c in enumerate(node.children) if node.field_name_for_child(i) == "destination"]
        if not targets and node.type == "herestring_redirect":
            targets = node.named_children[-1:]
        target = self.r.word(targets[0]) if targets else None
        return Redirect(operator, fd, target, self.r.span(node))

    # -- compound commands -----------------------------------------------------------------------

    def _compound(self, node: Any, ctx: _Ctx) -> Compound:
        kind = node.type
        span = self.r.span(node)
        if kind == "compound_statement" and node.children and node.children[0].type == "((":
            self._arithmetic(node, ctx)
            self.scan(node, ctx)
            return Compound("arithmetic", span)
        if kind == "compound_statement":
            return Compound(GROUP, span, self.sequence(node.children, ctx.inside(GROUP)))
        if kind == "subshell":
            inner = ctx.inside(SUBSHELL, own_shell=True)
            return Compound(SUBSHELL, span, self.sequence(node.children, inner))
        if kind == "function_definition":
            name_node = node.child_by_field_name("name")
            if ctx.main_shell:
                self.changes.append(StateChange("function", span, None))
            inner = ctx.inside(FUNCTION, conditional=True, own_shell=True)
            name = self.r.node_text(name_node) if name_node is not None else None
            return Compound(FUNCTION, span, self.body(node, inner), name=name)
        if kind in ("if_statement", "case_statement") or kind in _LOOPS:
            label = _KINDS.get(kind, LOOP)
            if kind == "c_style_for_statement":
                self._arithmetic(node, ctx)
            elif kind in ("for_statement", "select_statement") and ctx.main_shell:
                # `for x in …` / `select x in …` leave x set after the loop, like an assignment.
                self.changes.append(StateChange("assignment", span, None))
            return Compound(label, span, self.body(node, ctx.inside(label, conditional=True)))
        self.scan(node, ctx)  # `[[ … ]]`, `[ … ]` and anything else: only substitutions run
        if kind == "test_command" and ctx.main_shell and _has_token(node, "=~"):
            # bash sets BASH_REMATCH for what follows, as an assignment would.
            self.changes.append(StateChange("BASH_REMATCH", span, None))
        return Compound("test" if kind == "test_command" else kind, span)

    # -- things inside words -----------------------------------------------------------------------

    def scan(self, node: Any, ctx: _Ctx) -> None:
        """Commands in substitutions inside ``node``, and assignments hidden in expansions."""
        if node.child_count == 0:
            return  # a plain word: the common case
        if _MAY_RUN_RE.search(self.r.data, node.start_byte, node.end_byte) is None:
            return  # a quoted string or a concatenation of plain text: common too
        stack = [node]
        while stack:
            current = stack.pop()
            kind = current.type
            if kind in ("command_substitution", "process_substitution"):
                inner = ctx.inside(SUBSTITUTION, own_shell=True)._replace(in_pipeline=False)
                self.sequence(current.children, inner)
                continue
            if kind == "arithmetic_expansion":
                self._arithmetic(current, ctx)
            elif (
                kind == "expansion"
                and ctx.main_shell
                and any(child.type in (":=", "=") for child in current.children)
            ):
                self.changes.append(StateChange("assignment", self.r.span(current), None))
            stack.extend([child for child in current.children if child.child_count])

    def _arithmetic(self, node: Any, ctx: _Ctx) -> None:
        stack = list(node.children)
        while stack:
            current = stack.pop()
            if current.type in ("command_substitution", "arithmetic_expansion"):
                continue  # scanned on their own
            if not current.is_named and current.type in _ARITH_ASSIGN and ctx.main_shell:
                self.changes.append(StateChange("assignment", self.r.span(node), None))
                return
            stack.extend(current.children)


def _has_token(node: Any, token: str) -> bool:
    """``token`` (an anonymous node such as ``=~``) occurs anywhere inside ``node``."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == token:
            return True
        stack.extend(current.children)
    return False
