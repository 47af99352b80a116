"""Our lossless Dockerfile parser: BuildKit's reading of the file, with every byte kept.

The control flow follows moby/buildkit ``frontend/dockerfile/parser/parser.go`` (``Parse``) line by
line, so that keywords, line ranges, flags, values and heredoc bodies agree with Docker's own parser;
the difference is that each node also keeps the source slice it came from.
"""

from __future__ import annotations

import re
from itertools import accumulate

from . import buildkit as bk
from .errors import MAX_LINE_BYTES, LineTooLong, ParseError
from .instructions import check_instructions
from .nodes import (
    Blank,
    Comment,
    Directive,
    Dockerfile,
    Flag,
    Heredoc,
    Instruction,
    Node,
    SourceMap,
    Stage,
)

KNOWN_INSTRUCTIONS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
        "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    }
)  # fmt: skip
# What extract_builder_flags skips as blanks before a flag.
_BYTE_SPACES = frozenset("\t\n\v\f\r ")
_LINE_RE = re.compile(r"[^\n]*\n|[^\n]+")


def split_lines(text: str, offset: int = 0) -> list[tuple[int, str]]:
    """Physical lines with their line endings, as BuildKit's scanner splits them (on ``\\n`` only)."""
    # What ``_LINE_RE.finditer(text, offset)`` yields, without a match object per line.
    lines = _physical_lines(text, offset)
    return list(zip(_line_starts(lines, offset), lines, strict=False))


def _physical_lines(text: str, offset: int) -> list[str]:
    """The lines of ``text[offset:]``, each with its line ending."""
    body = text[offset:] if offset else text
    # str.splitlines breaks at "\n" and also at other characters ("\r" alone, "\v", "\x1c", ...;
    # "\r\n" is one break, after its "\n"): where it finds no more lines than there are "\n"s,
    # it broke at exactly the "\n"s, and does so in C.
    lines = body.splitlines(True)
    if len(lines) == body.count("\n") + (0 if body.endswith("\n") or not body else 1):
        return lines
    parts = body.split("\n")
    last = parts.pop()  # the text after the last line break (empty when the text ends with one)
    lines = [part + "\n" for part in parts]
    if last:
        lines.append(last)
    return lines


def _line_starts(lines: list[str], offset: int) -> list[int]:
    """Where each line starts (``offset`` plus the lengths of the lines before it), and after them
    the end of the text."""
    return list(accumulate(map(len, lines), initial=offset))


def parse(text: str) -> Dockerfile:
    """Parse any text into a lossless tree; never raises.

    Where BuildKit (or a build) would reject the file, the problems are in ``tree.errors``; callers
    that need a valid file call ``tree.check()``.
    """
    return _Parser(text).run()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.bom = "\ufeff" if text.startswith("\ufeff") else ""
        # The physical lines (split_lines' pairs, kept as two lists: no tuple per line) and their
        # start offsets; ``starts[len(lines)]`` is the end of the text.
        self.lines = _physical_lines(text, len(self.bom))
        self.starts = _line_starts(self.lines, len(self.bom))
        self.escape = "\\"
        self.nodes: list[Node] = []
        self.directives: list[Directive] = []
        self.stages: list[Stage] = []
        self.errors: list[ParseError] = []

    # -- helpers -------------------------------------------------------------------------------

    def _trim_continuation(self, line: str) -> tuple[str, bool]:
        # The continuation test, as ``run`` and ``_instruction`` inline it (it runs once per line);
        # kept whole here as the one place tests/test_fast_paths.py holds to BuildKit's regex.
        # ``bk.continuation_re`` (``(?<!e)e[ \t]*$``) read without a regex search over the whole line:
        # the escape character ends the line (blanks after it allowed) and is not itself escaped.
        # ``line`` has no line ending, so ``$`` is its end.
        escape = self.escape
        body = line.rstrip(" \t")
        if body.endswith(escape) and not body.endswith(escape, 0, len(body) - 1):
            return body[:-1], False
        return line, True

    # -- main loop -----------------------------------------------------------------------------

    def _long_lines(self) -> None:
        """bufio.Scanner's limit: BuildKit fails on the first line over MAX_LINE_BYTES bytes."""
        if len(self.text) * 4 <= MAX_LINE_BYTES:  # at most 4 bytes a character: no line is too long
            return
        for index, raw in enumerate(self.lines):
            if len(raw) * 4 <= MAX_LINE_BYTES:  # at most 4 bytes a character: cannot be too long
                continue
            size = len(raw.rstrip("\n").encode("utf-8", "surrogatepass"))
            if index == 0 and self.bom:
                size += 3  # the scanner sees the BOM's bytes as part of the first line
            if size > MAX_LINE_BYTES:
                self.errors.append(LineTooLong(size, index + 1))
                return

    def _nul_byte(self) -> None:
        """A NUL byte: binary data, refused as ``dockopt``'s file reader refuses it (``io.decode``).

        Also for text that reaches the parser without that reader (the language server's buffer, an
        API caller): BuildKit's parser as we call it (a C string) stops reading at a NUL, so an
        output holding one could not be checked against it."""
        nul = self.text.find("\x00")
        if nul >= 0:
            line = self.text.count("\n", 0, nul) + 1
            self.errors.append(
                ParseError("binary file (NUL byte); not a Dockerfile", line, _column(self.text, nul))
            )

    def run(self) -> Dockerfile:
        self._long_lines()
        self._nul_byte()
        lines = self.lines
        starts = self.starts
        count = len(lines)
        nodes = self.nodes
        i = 0
        # Parser directives come first (parser.go's ``directiveParser`` reads until a line is not one).
        while i < count:
            directive = self._directive(i, bk.trim_left(bk.trim_newline(lines[i])))
            if directive is None:
                break
            nodes.append(directive)
            i += 1
        escape = self.escape  # only a directive sets it: fixed from here on
        instructions: list[Instruction] = []
        pending_comments: list[Comment] = []
        while i < count:
            start = starts[i]
            raw = lines[i]
            # bk.trim_left(bk.trim_newline(raw)), inlined (this loop runs once per line)
            content = raw.rstrip("\r\n")
            token = content.lstrip(bk.GO_SPACE_CHARS)
            if token.startswith("#"):
                comment = Comment(raw, start, i + 1, i + 1)
                nodes.append(comment)
                pending_comments.append(comment)
                i += 1
                continue
            if not token:  # what _trim_continuation reads as an empty, final line
                nodes.append(Blank(raw, start, i + 1, i + 1))
                pending_comments = []
                i += 1
                continue
            # self._trim_continuation(token), inlined
            body = token.rstrip(" \t")
            token_start = start + len(content) - len(token)
            if body.endswith(escape) and not body.endswith(escape, 0, len(body) - 1):
                instruction, i = self._instruction(i, body[:-1], False, token_start)
            else:
                instruction, i = self._instruction(i, token, True, token_start)
            instruction.leading_comments = pending_comments
            pending_comments = []
            nodes.append(instruction)
            instructions.append(instruction)
        if not instructions:
            self.errors.append(ParseError("file with no instructions", max(count, 1), 1))
        self._assign_stages(instructions)
        tree = Dockerfile(
            bom=self.bom,
            nodes=nodes,
            escape=escape,
            directives=self.directives,
            stages=self.stages,
            newline=_dominant_newline(self.text),
        )
        if not self.errors:
            # What BuildKit's parser accepts but its instruction layer (the start of any build)
            # refuses; only read on a file the parser accepts, as BuildKit does.
            self.errors = check_instructions(tree, self.text)
        tree.errors = sorted(self.errors, key=_error_position)
        return tree

    def _directive(self, index: int, token: str) -> Directive | None:
        match = bk.DIRECTIVE_RE.match(token)
        if not match or match.group(1).lower() not in bk.KNOWN_DIRECTIVES:
            return None
        name, value = match.group(1).lower(), match.group(2)
        if any(d.name == name for d in self.directives):
            self.errors.append(ParseError(f"only one {name} parser directive can be used", index + 1, 1))
        elif name == "escape" and any(d.name == "check" for d in self.directives):
            # BuildKit before 0.14 (Docker 26's built-in frontend, the `dockerfile` package) does not
            # know `check`: it stops reading directives there and ignores this escape. Newer ones
            # apply it. A file both readings fit differently is not ours to rewrite.
            message = "'# escape=' after '# check=' is ignored by BuildKit before 0.14; put it first"
            self.errors.append(ParseError(message, index + 1, 1))
        elif name == "escape":
            if value in ("\\", "`"):
                self.escape = value
            else:
                message = f"invalid escape token '{value}' does not match ` or \\"
                self.errors.append(ParseError(message, index + 1, 1))
        start, raw = self.starts[index], self.lines[index]
        node = Directive(text=raw, start=start, line=index + 1, end_line=index + 1, name=name, value=value)
        if not any(d.name == name for d in self.directives):
            self.directives.append(node)
        return node

    def _instruction(self, i: int, first: str, is_end: bool, token_start: int) -> tuple[Instruction, int]:
        """The instruction starting on line ``i`` (its text from ``token_start`` on, ``first``
        without a continuation escape) and the index of the line after it."""
        lines = self.lines
        starts = self.starts
        count = len(lines)
        escape = self.escape
        # The logical line and its SourceMap's segments, built here in one go (SourceMap.add appends).
        segments = [(0, token_start)]
        pieces = [first]
        length = len(first)
        inner_comments: list[tuple[int, int]] = []
        has_blank = False
        j = i + 1  # the line after the instruction's last
        if not is_end and j < count:
            # parser.go: ``for !isEndOfLine && scanner.Scan()``, as a for loop (j: the line read)
            for j in range(i + 1, count):
                line_raw = lines[j]
                content = line_raw.rstrip("\r\n")  # bk.trim_newline
                left = content.lstrip(bk.GO_SPACE_CHARS)  # bk.trim_left
                if left.startswith("#"):  # bk.is_comment_line
                    inner_comments.append((starts[j], starts[j + 1]))
                    continue
                if not left:
                    has_blank = True
                    continue
                segments.append((length, starts[j]))
                # self._trim_continuation(content), inlined
                body = content.rstrip(" \t")
                if body.endswith(escape) and not body.endswith(escape, 0, len(body) - 1):
                    piece = body[:-1]
                    pieces.append(piece)
                    length += len(piece)
                else:
                    pieces.append(content)
                    length += len(content)
                    break
            j += 1
        logical = "".join(pieces)
        source_map = SourceMap(segments, length)

        instruction = self._build(logical, 0, source_map, i + 1, j)
        instruction.inner_comments = inner_comments
        instruction.has_blank_continuation = has_blank

        target = instruction.sub or instruction
        if target.name in bk.HEREDOC_KEYWORDS and not target.json and "<<" in logical:
            j = self._heredocs(instruction, target, logical, i, j)
        start = starts[i]
        instruction.text = self.text[start : starts[j]]  # physical lines i .. j - 1
        instruction.start = start
        instruction.end_line = j
        return instruction, j

    def _build(
        self, logical: str, offset: int, source_map: SourceMap, line: int, end_line: int
    ) -> Instruction:
        """``newNodeFromLine`` over ``logical[offset:]``: keyword, flags, args and value."""
        view = logical[offset:] if offset else logical
        # bk.trim_left and bk.trim_space of ``view`` from one left-trimmed copy
        left = view.lstrip(bk.GO_SPACE_CHARS)
        lead = len(view) - len(left)
        trimmed = left.rstrip(bk.GO_SPACE_CHARS)
        # The keyword ends at the first match of bk.WHITESPACE_RE. Most often it is letters and a
        # space, found without the regex: letters are never among its blanks.
        sep = trimmed.find(" ")
        keyword = trimmed[:sep]
        if sep > 0 and keyword.isalpha():
            rest = trimmed[sep + 1 :].lstrip("\t\v\f\r ")  # the rest of the match
            rest_start = offset + lead + len(trimmed) - len(rest)
        else:
            match = bk.WHITESPACE_RE.search(trimmed)
            if match:
                keyword = trimmed[: match.start()]
                rest = trimmed[match.end() :]
                rest_start = offset + lead + match.end()
            else:
                keyword = trimmed
                rest = ""
                rest_start = offset + lead + len(trimmed)
        keyword_source = source_map.to_source(offset + lead)

        flag_words: list[str]
        flag_spans: list[tuple[int, int]]
        if not rest.startswith("--") and rest[:1] not in _BYTE_SPACES:
            # No flag (most instructions): what extract_builder_flags returns, without the call.
            args_raw, flag_words, args_rel, flag_spans = rest, [], 0, []
        else:
            try:
                args_raw, flag_words, args_rel, flag_spans = bk.extract_builder_flags(rest)
            except bk.FlagBytesSplit as exc:
                # BuildKit cuts the flag word inside a character: no text we could write means that reading.
                self.errors.append(
                    ParseError(
                        str(exc), line, _column(self.text, source_map.to_source(rest_start + exc.offset))
                    )
                )
                args_raw, flag_words, args_rel, flag_spans = rest, [], 0, []
        args_left = args_raw.lstrip(bk.GO_SPACE_CHARS)  # bk.trim_space(args_raw), in two steps
        args = args_left.rstrip(bk.GO_SPACE_CHARS)
        args_start = rest_start + args_rel + (len(args_raw) - len(args_left))
        flags = (
            [
                Flag(
                    text=word,
                    start=source_map.to_source(rest_start + a),
                    end=source_map.to_source_end(rest_start + b),
                )
                for word, (a, b) in zip(flag_words, flag_spans, strict=False)
            ]
            if flag_words
            else []
        )
        name = keyword.upper()
        if name == "HEALTHCHECK" and not _healthcheck_agrees(args):
            # BuildKit finds the end of HEALTHCHECK's first word and the blanks after it byte by byte:
            # where that cuts elsewhere than the characters do, its reading is not one we can write.
            message = (
                "non-ASCII blank (or byte BuildKit reads as one) in HEALTHCHECK's first word or after it"
            )
            self.errors.append(ParseError(message, line, _column(self.text, keyword_source)))
        value: tuple[str, ...] = ()
        json = False
        if name not in KNOWN_INSTRUCTIONS:
            self.errors.append(
                ParseError(f"unknown instruction: {keyword}", line, _column(self.text, keyword_source))
            )
            # Keep it as an instruction so the text survives; nothing reads its arguments.
        elif name != "ONBUILD":  # ONBUILD's value is its trigger's: read below, with the trigger
            try:
                value, json = _value(name, args, self.escape)
            except bk.ArgumentError as exc:
                self.errors.append(ParseError(str(exc), line, _column(self.text, keyword_source)))
        # Positional: a call with keywords costs twice as much, and this runs once per instruction.
        instruction = Instruction(
            "",  # text: the caller sets it, with start and end_line, once it knows the heredocs
            0,  # start
            line,
            end_line,
            keyword,
            flags,
            args,
            value,
            json,
            [],  # heredocs: the caller reads them
            logical,
            source_map,
            keyword_source,  # keyword_start
            args_start,
            [],  # inner_comments
            [],  # leading_comments
        )
        if name == "ONBUILD" and args:
            # (_build reports its own errors: nothing here raises ArgumentError)
            sub = self._build(logical, args_start, source_map, line, end_line)
            if sub.name in ("ONBUILD", "FROM", "MAINTAINER"):
                message = f"{sub.name} isn't allowed as an ONBUILD trigger"
                self.errors.append(ParseError(message, line, _column(self.text, sub.keyword_start)))
            sub.parent = instruction
            instruction.sub = sub
            instruction.json = sub.json
            instruction.value = sub.value
        return instruction

    def _heredocs(self, instruction: Instruction, target: Instruction, logical: str, i: int, j: int) -> int:
        try:
            words = bk.heredocs_in_line(logical)
        except bk.UnterminatedQuote as exc:
            self.errors.append(ParseError(f"heredoc delimiter: {exc}", i + 1, 1))
            return j
        lines = self.lines
        starts = self.starts
        count = len(lines)
        for word in words:
            body_start = starts[j]  # the end of the text when j is past the last line
            content: list[str] = []
            while j < count:
                line_start, line_raw = starts[j], lines[j]
                j += 1
                candidate = line_raw.rstrip("\r\n")  # bk.trim_newline, inlined (once per body line)
                if word.chomp:
                    candidate = candidate.lstrip("\t")
                if candidate == word.name:
                    doc = Heredoc(
                        name=word.name,
                        chomp=word.chomp,
                        expand=word.expand,
                        fd=word.fd,
                        content="".join(content),
                        body_start=body_start,
                        body_end=line_start,
                        terminator_start=line_start,
                        terminator_end=line_start + len(line_raw),
                    )
                    target.heredocs.append(doc)
                    if target is not instruction:
                        instruction.heredocs.append(doc)
                    break
                content.append(line_raw)
            else:
                self.errors.append(ParseError(f"unterminated heredoc <<{word.name}", i + 1, 1))
                return j
        return j

    def _assign_stages(self, instructions: list[Instruction]) -> None:
        stages = self.stages
        stage: Stage | None = None  # the current one, stages[-1]
        for node in instructions:
            if node.name == "FROM":
                words = list(node.value)
                name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
                platform = node.flag("platform")
                stage = Stage(
                    index=len(stages),
                    base=words[0] if words else "",
                    name=name,
                    from_instruction=node,
                    platform=platform.value if platform else None,
                )
                stages.append(stage)
            if stage is not None:
                node.stage = stage.index
                stage.instructions.append(node)
                if node.sub is not None:
                    node.sub.stage = stage.index


def _dominant_newline(text: str) -> str:
    if "\r" not in text:  # no CRLF at all (the common case): skip the two counts
        return "\n"
    return "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"


def _error_position(error: ParseError) -> tuple[int, int]:
    return error.line, error.column


def _column(text: str, offset: int) -> int:
    return offset - text.rfind("\n", 0, offset)


def _value(name: str, args: str, escape: str) -> tuple[tuple[str, ...], bool]:
    """The dispatch table of parser.go: how each instruction's arguments are read."""
    if name in ("RUN", "CMD", "ENTRYPOINT", "SHELL"):
        if not args:
            return (), False
        if args[0] != "[":  # not JSON (``args`` is trimmed: the first test parse_json_array makes)
            return (args,), False
        items = bk.parse_json_array(args)
        return (tuple(items), True) if items is not None else ((args,), False)
    if name in ("ADD", "COPY", "VOLUME"):
        items = bk.parse_json_array(args) if args.startswith("[") else None  # (as above)
        if items is not None:
            return tuple(items), True
        return _whitespace_words(args), False
    if name in ("FROM", "EXPOSE"):
        return _whitespace_words(args), False
    if name in ("ENV", "LABEL"):
        return _name_values(name, args, escape), False
    if name == "ARG":
        return tuple(bk.parse_words(args, escape)), False
    if name == "HEALTHCHECK":
        return _healthcheck(args)
    return ((args,) if args else ()), False  # MAINTAINER, STOPSIGNAL, USER, WORKDIR


def _whitespace_words(args: str) -> tuple[str, ...]:
    return tuple(bk.WHITESPACE_RE.split(args)) if args else ()


def _name_values(name: str, args: str, escape: str) -> tuple[str, ...]:
    words = bk.parse_words(args, escape)
    if not words:
        return ()
    if "=" not in words[0]:
        parts = bk.WHITESPACE_RE.split(args, maxsplit=1)
        if len(parts) < 2:
            raise bk.ArgumentError(f"{name} must have two arguments")
        return (parts[0], parts[1])
    values: list[str] = []
    for word in words:
        if "=" not in word:
            raise bk.ArgumentError(
                f"Syntax error - can't find = in {word!r}. Must be of the form: name=value"
            )
        key, _, value = word.partition("=")
        values.append(key)
        values.append(value)
    return tuple(values)


def _healthcheck_split(args: str) -> tuple[int, int]:
    """parser.go ``parseHealthConfig``: where the type word ends and where the command starts."""
    sep = 0
    while sep < len(args) and not bk.is_space(args[sep]):
        sep += 1
    nxt = sep
    while nxt < len(args) and bk.is_space(args[nxt]):
        nxt += 1
    return sep, nxt


def _healthcheck_agrees(args: str) -> bool:
    """Whether BuildKit's byte-wise ``parseHealthConfig`` splits ``args`` where we do."""
    if args.isascii():
        return True
    data = args.encode("utf-8", "surrogatepass")

    def blank(byte: int) -> bool:  # unicode.IsSpace(rune(b)) for one byte
        return byte in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0)

    sep = 0
    while sep < len(data) and not blank(data[sep]):
        sep += 1
    nxt = sep
    while nxt < len(data) and blank(data[nxt]):
        nxt += 1
    ours_sep, ours_nxt = _healthcheck_split(args)
    return (sep, nxt) == (
        len(args[:ours_sep].encode("utf-8", "surrogatepass")),
        len(args[:ours_nxt].encode("utf-8", "surrogatepass")),
    )


def _healthcheck(args: str) -> tuple[tuple[str, ...], bool]:
    sep, nxt = _healthcheck_split(args)
    if sep == 0:
        return (), False
    kind, command = args[:sep], args[nxt:]
    if not command:
        return (kind,), False
    items = bk.parse_json_array(command)
    if items is not None:
        return (kind, *items), True
    return (kind, command), False
