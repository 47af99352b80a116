"""The one error type of the syntax layer: a message with a position."""

from __future__ import annotations


class ParseError(Exception):
    def __init__(self, message: str, line: int, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def format(self, path: str) -> str:
        return f"{path}:{self.line}:{self.column}: {self.message}"


# BuildKit reads the file with a bufio.Scanner of the default token size (64 KiB): a line of more
# than 65,535 bytes (its line ending excluded, a CR included) fails the whole parse.
MAX_LINE_BYTES = 65535


class LineTooLong(ParseError):
    """A physical line longer than BuildKit's scanner accepts."""

    def __init__(self, size: int, line: int) -> None:
        super().__init__(
            f"line is {size} bytes long; BuildKit refuses lines longer than {MAX_LINE_BYTES} bytes",
            line,
            1,
        )
        self.size = size
