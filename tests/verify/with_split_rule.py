"""``dockopt`` with a test-only rule whose fix requires verification, for the ``--verify`` CLI tests.

Run as ``python with_split_rule.py ARGS...`` with ``DOCKOPT_TEST_SPLIT`` naming a file that holds the
rewrite: DO598 test-split replaces a single-stage Dockerfile with that text (an unsafe fix with
``requires_verification``), as a split rule would. Until the real image inspection
(``optimizer/verify/inspect.py``) is on this branch, a stand-in that records the paths it was asked
about (in ``DOCKOPT_TEST_INSPECT_LOG``) takes its place; it lives here, in the tests, only.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import types
from pathlib import Path

from optimizer.analysis.runtime import RuntimeFacts
from optimizer.cli import main
from optimizer.rules.base import Applicability, Edit, Rule, register

try:
    import optimizer.verify.inspect  # noqa: F401 - the real one, once merged
except ImportError:
    stand_in = types.ModuleType("optimizer.verify.inspect")

    def inspect_image(image: str, paths: list[str], env=None) -> RuntimeFacts:
        log = os.environ.get("DOCKOPT_TEST_INSPECT_LOG")
        if log:
            Path(log).write_text("\n".join([image, *paths]) + "\n")
        return RuntimeFacts(image=image)

    stand_in.inspect_image = inspect_image  # type: ignore[attr-defined]
    sys.modules["optimizer.verify.inspect"] = stand_in


@register
class TestSplit(Rule):
    code, name, summary, safety = "DO598", "test-split", "test rule: a split", Applicability.UNSAFE

    def check(self, ctx):
        split = Path(os.environ["DOCKOPT_TEST_SPLIT"]).read_text()
        if len(ctx.tree.stages) != 1 or ctx.text == split:
            return
        facts = "with" if ctx.session.runtime is not None else "without"
        finding = self.finding(
            ctx, ctx.tree.instructions[0], f"split ({facts} image facts)", [Edit(0, len(ctx.text), split)]
        )
        assert finding.fix is not None
        yield dataclasses.replace(finding, fix=dataclasses.replace(finding.fix, requires_verification=True))


if __name__ == "__main__":
    main()
