"""A model of RUN scripts built on tree-sitter-bash, and the recognisers rules share.

``analyse_run(tree, instruction)`` gives a ``Script`` (statements, pipelines, commands with spans
in the script and in the Dockerfile, shell-state changes) or None; ``run_analysis`` says why not.
``recognise``/``invocations`` read package-manager command lines, ``removal``/``removals`` read
``rm``, and ``detect_style``/``continuation`` write new lines in the file's own style.

Importing this package is cheap: tree-sitter is loaded the first time a script is parsed.
"""

from .managers import Invocation, Option, find, invocations, recognise, unwrap
from .mapping import ScriptMap
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
    Pipeline,
    Redirect,
    Script,
    StateChange,
    Statement,
    Word,
)
from .removals import Removal, removal, removals
from .run import (
    Declined,
    RunAnalysis,
    ShellSyntaxError,
    analyse_run,
    is_posix_shell,
    parse_script,
    run_analysis,
    script_parses_cleanly,
    stage_shell,
)
from .style import ContinuationStyle, continuation, detect_style

__all__ = [
    "CASE", "FUNCTION", "GROUP", "IF", "LOOP", "SUBSHELL", "SUBSTITUTION",
    "Assignment", "Command", "Compound", "ContinuationStyle", "Declined", "Invocation", "Option",
    "Pipeline", "Redirect", "Removal", "RunAnalysis", "Script", "ScriptMap", "ShellSyntaxError",
    "StateChange", "Statement", "Word",
    "analyse_run", "continuation", "detect_style", "find", "invocations", "is_posix_shell",
    "parse_script", "recognise", "removal", "removals", "run_analysis", "script_parses_cleanly",
    "stage_shell", "unwrap",
]  # fmt: skip
