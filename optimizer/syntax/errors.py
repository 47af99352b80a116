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
