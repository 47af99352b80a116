"""Which commands change the shell state that later commands in the same shell see.

Two RUNs run in two shells; merged, the second RUN's commands run in the shell the first one left
behind. So a merge is only safe when the first script leaves nothing behind that could change what
the second does: working directory, variables and exports, options (``set -e``, ``set -o pipefail``),
traps, aliases, functions, limits, the umask, open file descriptors, or an early ``exit``/``exec``.
Anything whose effect cannot be known here (``eval``, ``source``, a command whose name is computed)
counts as changing state — except a computed name with a literal ``/`` (``"$VENV"/bin/pip``), which
always runs a file, never a builtin.
"""

from __future__ import annotations

import re

from .model import Command

# Builtins whose whole point is to change the current shell (their effect on ``Command.state``).
STATEFUL_BUILTINS = frozenset(
    {
        "cd", "pushd", "popd", "export", "set", "source", ".", "umask", "alias", "unalias", "shopt",
        "trap", "exec", "exit", "return", "unset", "ulimit", "readonly", "declare", "typeset", "local",
        "eval", "shift", "read", "getopts", "let", "mapfile", "readarray", "hash", "enable", "setopt",
        "unsetopt", "emulate",
    }
)  # fmt: skip
# POSIX special builtins: an assignment before one of them stays set after it (``FOO=1 :``).
SPECIAL_BUILTINS = frozenset(
    {"break", ":", "continue", ".", "eval", "exec", "exit", "export", "readonly", "return", "set",
     "shift", "times", "trap", "unset"}
)  # fmt: skip
_UNKNOWN = frozenset({"eval", "source", "."})
_EXPANSION_RE = re.compile(r"\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_0-9@*#?$!-]+|`[^`]*`")


def command_state(command: Command) -> str | None:
    """The kind of state ``command`` changes, or None when it changes none.

    ``FOO=1 cmd`` sets FOO for ``cmd`` only, so it changes nothing; ``FOO=1`` alone sets it for the rest
    of the script. ``command cd``/``builtin cd`` still run the builtin; ``sudo cd`` or ``env cd`` run an
    external program (if any) and change nothing here.
    """
    if not command.words:
        return "assignment" if command.assignments else None
    words = command.words
    index = 0
    while index < len(words):
        word = words[index]
        if word.value is None:
            # `$CMD …` could be `cd` or `export`; `"$VENV"/bin/pip` has a `/`, so it runs a file.
            return None if "/" in _EXPANSION_RE.sub("", word.text) else "dynamic"
        name = word.value
        if name in ("command", "builtin"):
            index += 1
            while index < len(words) and (words[index].value or "").startswith("-"):
                if words[index].value in ("-v", "-V"):
                    return None  # `command -v x` looks a name up, it runs nothing
                index += 1
            continue
        if name in _UNKNOWN:
            return name
        if name == "printf":
            return "printf -v" if any(w.value == "-v" for w in words[index + 1 :]) else None
        if name == "exec" and index + 1 == len(words) and not command.redirects:
            return None  # a bare `exec` does nothing
        if name in STATEFUL_BUILTINS:
            return name
        if command.assignments and name in SPECIAL_BUILTINS:
            return "assignment"
        return None
    return None
