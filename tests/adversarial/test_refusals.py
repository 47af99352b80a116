"""Class 7 of issue 16 through the CLI, no engine needed: files BuildKit's parser accepts but its build
refuses. ``dockopt --write`` on a copy must exit 2, print exactly one ``path:line:col: message`` line on
stderr, print nothing else, and leave the file byte for byte as it was — in every mode.

(The engine suite, ``test_probes.py``, builds these originals and checks that BuildKit does refuse them.)
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from adversarial_probes import load_probes

REFUSED = [p for p in load_probes() if p.expect == "refused"]
FLAGS = {
    "safe+cleanup": [],
    "safe+mounts": ["--cache-strategy", "mounts"],
    "unsafe+cleanup": ["--unsafe-fixes"],
    "unsafe+mounts": ["--unsafe-fixes", "--cache-strategy", "mounts"],
}


def test_there_are_class_7_probes():
    assert len(REFUSED) >= 8


@pytest.mark.parametrize("mode", sorted(FLAGS))
@pytest.mark.parametrize("probe", REFUSED, ids=[p.name for p in REFUSED])
def test_cli_refuses_and_never_writes(probe, mode, tmp_path):
    original = probe.dockerfile.read_bytes()
    target = tmp_path / "Dockerfile"
    target.write_bytes(original)
    result = subprocess.run(
        [sys.executable, "-m", "optimizer", "--write", *FLAGS[mode], str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    context = (
        f"{probe.name} [{mode}] ({probe.description}): exit {result.returncode}, stderr={result.stderr!r}"
    )
    assert target.read_bytes() == original, f"{context}: the file was rewritten"
    assert result.returncode == 2, context
    assert "Traceback" not in result.stderr, context
    assert len(lines) == 1, context
    assert re.fullmatch(rf"{re.escape(str(target))}:\d+:\d+: \S.*", lines[0]), context
