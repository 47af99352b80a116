"""What the server knows about one version of one document: its findings, its parse errors, and
(computed on first use, then kept) the fixed text that formatting and fix-all return.

An ``Analysis`` is immutable input (uri, version, text, settings) plus results computed once, so
every request for the same version — diagnostics, code actions, formatting — reuses them. A rule
that crashes costs a logged internal error and an empty result, never the server.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

from ..core.config import Settings
from ..core.findings import Applicability, Finding
from ..syntax import Dockerfile, Instruction, ParseError, parse
from .text import LineIndex

logger = logging.getLogger("dockopt.lsp")

SOURCE = "dockopt"
SEVERITIES = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "info": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


@dataclass(frozen=True)
class Subject:
    """One version of one document and what it is analysed with."""

    uri: str
    version: int | None
    text: str
    path: Path | None
    settings: Settings | None  # None: the document's config file is broken (``problem`` says how)
    context_dir: Path | None
    generation: int  # the server's settings generation this was resolved under
    problem: str | None = None
    docs_url: str | None = None


class Analysis:
    """Created on the event loop (cheap); ``check`` and ``output`` do the work, each once, on the
    worker thread, and only when a request or the background refresh asks for them."""

    def __init__(self, subject: Subject, encoding: str) -> None:
        self.subject = subject
        self.index = LineIndex(subject.text, encoding)
        self._tree: Dockerfile | None = None
        self.parse_errors: list[ParseError] = []
        self.findings: list[Finding] = []
        self.internal_error: str | None = None
        self.fix_error: str | None = None  # the fix loop failed (the text is then left as it is)
        self.reported: set[str] = set()  # errors already sent to the editor's log
        self.checked = False
        self._newlines: list[int] | None = None
        self._check_lock = threading.Lock()
        self._outcome_lock = threading.Lock()
        self._outcome_done = False
        self._output: str | None = None

    @property
    def version(self) -> int | None:
        return self.subject.version

    @property
    def text(self) -> str:
        return self.subject.text

    @property
    def settings(self) -> Settings | None:
        return self.subject.settings

    @property
    def usable(self) -> bool:
        """Whether fixes may be offered: settings known, the text parses, no rule crashed."""
        return self.settings is not None and not self.parse_errors and self.internal_error is None

    def check(self) -> Analysis:
        """Parse and find (once): ``findings``, ``parse_errors``, ``internal_error``."""
        with self._check_lock:
            if not self.checked:
                self._check()
                self.checked = True
        return self

    def _check(self) -> None:
        subject = self.subject
        if subject.settings is None:
            return
        from ..engine import findings

        try:
            self.findings = findings(
                subject.text, subject.settings, path=subject.path, context_dir=subject.context_dir
            )
        except ParseError as exc:
            self.parse_errors = (
                list(self.tree.errors) if self.tree is not None and self.tree.errors else [exc]
            )
        except RecursionError:
            self.parse_errors = [ParseError("input too deeply nested to process", 1, 1)]
        except Exception as exc:  # a rule's bug must not take the server down
            self.internal_error = _describe(exc)
            logger.exception("internal error while checking %s", subject.uri)

    @property
    def tree(self) -> Dockerfile | None:
        """The parsed text, for the few things that need instructions (parsed on first use)."""
        if self._tree is None:
            try:
                self._tree = parse(self.text)
            except (ParseError, RecursionError):
                return None
        return self._tree

    def output(self) -> str | None:
        """The text ``dockopt -`` prints for this version and settings; None when there is none to
        offer (parse errors, broken config, an internal error). Computed once."""
        with self._outcome_lock:
            if not self._outcome_done:
                self._output = self._fix()
                self._outcome_done = True
            return self._output

    def _fix(self) -> str | None:
        settings = self.settings
        if settings is None or (self.checked and not self.usable):
            return None
        from ..engine import fix_text

        subject = self.subject
        try:
            outcome = fix_text(subject.text, settings, path=subject.path, context_dir=subject.context_dir)
        except ParseError:
            return None
        except Exception as exc:
            logger.exception("internal error while fixing %s", subject.uri)
            self.fix_error = _describe(exc)
            return None
        if outcome.error is not None:
            logger.error("internal error while fixing %s: %s", subject.uri, outcome.error)
            self.fix_error = str(outcome.error)
            return None
        return outcome.output

    # -- positions -------------------------------------------------------------------------------

    def finding_span(self, finding: Finding) -> tuple[int, int]:
        """The offsets a finding covers: from its position to the end of the instruction there
        (heredoc bodies excluded), or just the replaced text when its fix is one replacement there."""
        start = self._offset(finding.line, finding.column)
        if finding.fix is not None and len(finding.fix.edits) == 1:
            edit = finding.fix.edits[0]
            if edit.start == start and edit.end > edit.start:
                return start, edit.end
        if finding.end_line:  # 0: not known
            return start, max(start, self._offset(finding.end_line, finding.end_column))
        instruction = self.instruction_at(start)  # a finding made without Rule.finding
        if instruction is None:
            return start, self.index.line_end(self.index.position(start).line)
        end = instruction.body_end
        while end > start and self.text[end - 1] in "\r\n":
            end -= 1
        return start, max(end, start)

    def _offset(self, line: int, column: int) -> int:
        """The offset of a finding's 1-based line and column (lines end at \\n, as the engine
        counts them; columns do not count a BOM)."""
        if self._newlines is None:
            self._newlines = [0, *(match.end() for match in re.finditer("\n", self.text))]
        starts = self._newlines
        start = starts[min(max(line, 1), len(starts)) - 1]
        if line == 1 and self.text.startswith("\ufeff"):
            column += 1
        return min(start + max(column - 1, 0), len(self.text))

    def instruction_at(self, offset: int) -> Instruction | None:
        if self.tree is None:
            return None
        nodes = self.tree.nodes
        position = bisect_right([node.start for node in nodes], offset) - 1
        if position < 0:
            return None
        node = nodes[position]
        return node if isinstance(node, Instruction) and offset < node.end else None

    def instruction_on_line(self, line: int) -> Instruction | None:
        if self.tree is None:
            return None
        for node in self.tree.nodes:
            if isinstance(node, Instruction) and node.line == line:
                return node
        return None

    # -- diagnostics -----------------------------------------------------------------------------

    def diagnostics(self) -> list[types.Diagnostic]:
        self.check()
        subject = self.subject
        if subject.problem is not None:
            return [
                types.Diagnostic(
                    range=self.index.range(0, self.index.line_end(0)),
                    message=subject.problem,
                    severity=types.DiagnosticSeverity.Error,
                    source=SOURCE,
                    code="config",
                )
            ]
        if self.parse_errors:
            return [self._parse_error(error) for error in self.parse_errors]
        return [self.diagnostic(index, finding) for index, finding in enumerate(self.findings)]

    def _parse_error(self, error: ParseError) -> types.Diagnostic:
        start = self.index.offset_of(error.line, error.column)
        end = self.index.line_end(max(error.line - 1, 0))
        if end <= start:  # an error at the end of a line: mark the line
            start = self.index.offset_of(error.line, 1)
        return types.Diagnostic(
            range=self.index.range(start, max(end, start)),
            message=error.message,
            severity=types.DiagnosticSeverity.Error,
            source=SOURCE,
            code="syntax",
        )

    def diagnostic(self, index: int, finding: Finding) -> types.Diagnostic:
        start, end = self.finding_span(finding)
        message = finding.message
        applicability = finding.applicability
        if applicability is Applicability.UNSAFE and not (self.settings and self.settings.unsafe_fixes):
            message += " (unsafe fix available with unsafe-fixes)"
        return types.Diagnostic(
            range=self.index.range(start, end),
            message=message,
            severity=severity(finding.code),
            source=SOURCE,
            code=finding.code,
            code_description=types.CodeDescription(
                href=docs_href(finding.code, finding.name, self.subject.docs_url)
            ),
            data={"uri": self.subject.uri, "version": self.version, "index": index, "code": finding.code},
        )


def _describe(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _rule_class(code: str):
    from ..rules.base import registered

    return registered().get(code)


@functools.cache
def severity(code: str) -> types.DiagnosticSeverity:
    """The rule's own ``severity`` when it declares one, else a warning: every finding is
    something to improve, none makes the Dockerfile invalid."""
    declared = getattr(_rule_class(code), "severity", None)
    if isinstance(declared, str):
        return SEVERITIES.get(declared.lower(), types.DiagnosticSeverity.Warning)
    if isinstance(declared, int) and declared in (1, 2, 3, 4):
        return types.DiagnosticSeverity(declared)
    return types.DiagnosticSeverity.Warning


@functools.cache
def docs_href(code: str, name: str, template: str | None) -> str:
    """Where a rule's documentation is: the editor's URL template, else the rule's module, whose
    docstring is the documentation `dockopt explain` prints."""
    if template:
        return template.replace("{code}", code).replace("{name}", name)
    rule = _rule_class(code)
    if rule is not None:
        import sys

        module = sys.modules.get(rule.__module__)
        if module is not None and getattr(module, "__file__", None):
            return Path(module.__file__).resolve().as_uri()  # type: ignore[arg-type]
    from ..rules._catalogue import CATALOGUE

    rules_dir = Path(__file__).resolve().parent.parent / "rules"
    for entry in CATALOGUE:
        if entry.code == code:
            return (rules_dir / (entry.module.replace(".", "/") + ".py")).as_uri()
    return rules_dir.as_uri()
