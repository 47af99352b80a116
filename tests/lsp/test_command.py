"""`dockopt lsp` as a command: help, usage errors, and the cold path staying free of pygls."""

from __future__ import annotations

import subprocess
import sys

from .conftest import SERVER


def test_bad_tcp_address_is_a_usage_error():
    result = subprocess.run(
        [*SERVER, "--tcp", "localhost"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "HOST:PORT" in result.stderr
    assert result.stdout == ""


def test_cli_help_lists_lsp():
    result = subprocess.run(
        [sys.executable, "-m", "optimizer", "lsp", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "--tcp" in result.stdout and "--stdio" in result.stdout


def test_the_format_path_does_not_import_the_language_server(tmp_path):
    """The cold `dockopt --check` must not pay for pygls (see bench/startup.py)."""
    (tmp_path / "Dockerfile").write_text("FROM alpine\nRUN echo hi\n")
    probe = (
        "import sys\n"
        "from optimizer.cli import main\n"
        "try:\n"
        f"    main(['--check', {str(tmp_path / 'Dockerfile')!r}])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol', 'cattrs', 'typer')))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
