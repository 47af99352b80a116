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

                _language = tree_sitter.Language(_bash_language_pointer())
    return _language


def _bash_language_pointer() -> Any:
    """``tree_sitter_bash.language()``, read from the package's compiled binding directly.

    The package's ``__init__`` imports ``importlib.resources`` (and through it tempfile, shutil,
    random, bz2, lzma …) for a highlighting query we never use: ~5 ms of a cold ``dockopt --check``.
    The binding is the same extension module either way; if the layout is not the expected one,
    the ordinary import is used.
    """
    from importlib import machinery

    try:
        package = machinery.PathFinder.find_spec("tree_sitter_bash")
        folders = list(package.submodule_search_locations or ()) if package is not None else []
        for folder in folders:
            for suffix in machinery.EXTENSION_SUFFIXES:
                path = f"{folder}/_binding{suffix}"
                loader = machinery.ExtensionFileLoader("tree_sitter_bash._binding", path)
                spec = machinery.ModuleSpec("tree_sitter_bash._binding", loader, origin=path)
                try:
                    module = loader.create_module(spec)
                except ImportError:  # no such file for this suffix
                    continue
                loader.exec_module(module)
                return module.language()
    except (ImportError, OSError, AttributeError):
        pass
    import tree_sitter_bash

    return tree_sitter_bash.language()


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
