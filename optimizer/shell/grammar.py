"""The tree-sitter-bash parser, loaded on first use.

Importing tree-sitter and loading the grammar costs tens of milliseconds; a cold ``dockopt --check``
whose rules never look inside a RUN must not pay it, so nothing here runs at import time. The
Language is shared; a Parser is kept per thread because a tree-sitter Parser is not safe to use from
two threads at once.
"""

from __future__ import annotations

import threading
from typing import Any

_language: Any = None
_local = threading.local()
_lock = threading.Lock()


def language() -> Any:
    """The tree-sitter ``Language`` for bash (loaded once per process)."""
    global _language
    if _language is None:
        with _lock:
            if _language is None:
                import tree_sitter
                import tree_sitter_bash

                _language = tree_sitter.Language(tree_sitter_bash.language())
    return _language


def parser() -> Any:
    """This thread's tree-sitter ``Parser`` for bash."""
    current = getattr(_local, "parser", None)
    if current is None:
        import tree_sitter

        current = tree_sitter.Parser(language())
        _local.parser = current
    return current


def parse_bytes(data: bytes) -> Any:
    """The tree-sitter tree of a script given as UTF-8 bytes."""
    return parser().parse(data)
