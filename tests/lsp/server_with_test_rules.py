"""``dockopt`` with the CLI tests' test rules (unsafe DO990, crashing DO992, …) and one more that
writes to stdout, which over stdio is the protocol's stream: the server must keep it clean.

DO994 noisy: ``LABEL noise=1`` prints (Python and file descriptor 1) and reports a finding.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))

import with_test_rules  # noqa: F401 - registers DO990-DO993

from optimizer.cli import main
from optimizer.rules.base import Applicability, Rule, register


@register
class _Noisy(Rule):
    code, name, summary, safety = "DO994", "noisy", "test rule: prints to stdout", Applicability.SAFE

    def check(self, ctx):
        for instruction in ctx.tree.instructions:
            if instruction.name == "LABEL" and instruction.args == "noise=1":
                print("Content-Length: 5\r\n\r\nnoise")
                os.write(1, b"more noise on fd 1\n")
                yield self.finding(ctx, instruction, "noise=1 is a test pattern")


if __name__ == "__main__":
    main()
