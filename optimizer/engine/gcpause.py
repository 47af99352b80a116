"""Pausing CPython's cyclic garbage collector while the fix loop runs.

A run of the fix loop allocates a great many small container objects (tree nodes, shell-model
words and commands, findings), most of which live until the run ends. Each allocation burst lets
the collector's thresholds trip, and every full collection walks *every* long-lived object of the
process — the imported modules, and the by-content cache of RUN analyses that is meant to outlive
the run. Measured over the corpus (``bench/THROUGHPUT.md``) that walking was about a fifth of a
pass, and found almost nothing: the loop's garbage is freed by reference counting.

So the collector is paused for the duration of a run and resumed after it; cycles the run leaves
behind (a script and its commands point at each other) are collected by the next automatic
collection. Nested or concurrent runs (the language server's threads) share one pause: it ends when
the last of them ends. A process that disabled the collector itself keeps it disabled.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_depth = 0
_paused = False  # whether the outermost run found the collector enabled and disabled it


def paused_gc(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` with automatic garbage collection paused (see the module docstring)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        global _depth, _paused
        with _lock:
            if _depth == 0 and gc.isenabled():
                gc.disable()
                _paused = True
            _depth += 1
        try:
            return function(*args, **kwargs)
        finally:
            with _lock:
                _depth -= 1
                if _depth == 0 and _paused:
                    _paused = False
                    gc.enable()

    return wrapper
