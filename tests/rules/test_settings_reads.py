"""Issue 16, class 2: what an install reads besides its manifests — settings files named by ENV, a
project .npmrc, apt's sources — decides whether a COPY may move across it or be split around it."""

from __future__ import annotations

from pathlib import Path

from optimizer.core.config import Settings
from optimizer.engine import fix_text

PY = {"requirements.txt": "six\n", "app/main.py": "print(1)\n"}


def _context(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    return tmp_path


def _fix(tmp_path: Path, text: str, select: tuple[str, ...]) -> str:
    return fix_text(text, Settings(select=select), path=tmp_path / "Dockerfile", context_dir=tmp_path).output


def test_do402_does_not_move_a_copy_that_brings_pip_config_file(tmp_path):
    _context(tmp_path, {**PY, "pip.conf": "[global]\nindex-url = https://example.invalid/simple\n"})
    text = "FROM python:3.11-slim\nWORKDIR /app\nENV PIP_CONFIG_FILE=/app/pip.conf\nCOPY . .\nRUN pip install six\n"
    assert _fix(tmp_path, text, ("DO402",)) == text


def test_do402_still_moves_when_the_named_settings_file_is_not_in_the_context(tmp_path):
    _context(tmp_path, PY)
    text = "FROM python:3.11-slim\nWORKDIR /app\nENV PIP_CONFIG_FILE=/app/pip.conf\nCOPY . .\nRUN pip install six\n"
    assert _fix(tmp_path, text, ("DO402",)) != text


def test_do402_does_not_move_a_copy_that_brings_a_project_npmrc(tmp_path):
    _context(tmp_path, {"package.json": "{}", ".npmrc": "offline=true\n"})
    text = "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm install -g typescript\n"
    assert _fix(tmp_path, text, ("DO402",)) == text


def test_do401_copies_a_settings_file_named_by_env_with_the_manifests(tmp_path):
    _context(tmp_path, {**PY, "pip.conf": "[global]\nno-binary = :all:\n"})
    text = 'FROM python:3.11-slim\nWORKDIR /app\nENV PIP_CONFIG_FILE=/app/pip.conf\nCOPY . .\nRUN pip install -r requirements.txt\nCMD ["python", "app/main.py"]\n'
    output = _fix(tmp_path, text, ("DO401",))
    assert "COPY requirements.txt pip.conf ./\nRUN pip install -r requirements.txt\nCOPY . .\n" in output


def test_do302_does_not_move_an_update_below_a_copy_that_adds_an_apt_source(tmp_path):
    _context(
        tmp_path, {"rootfs/etc/apt/sources.list.d/extra.list": "deb http://example.invalid stable main\n"}
    )
    text = "FROM debian:bookworm\nRUN apt-get update\nCOPY rootfs/ /\nRUN apt-get install -y curl\n"
    assert _fix(tmp_path, text, ("DO302",)) == text


def test_do302_moves_an_update_below_a_copy_that_leaves_apt_alone(tmp_path):
    _context(tmp_path, {"rootfs/etc/app/app.conf": "x=1\n"})
    text = "FROM debian:bookworm\nRUN apt-get update\nCOPY rootfs/ /\nRUN apt-get install -y curl\n"
    assert _fix(tmp_path, text, ("DO302",)).endswith("RUN apt-get update && apt-get install -y curl\n")


def test_do302_without_a_context_does_not_cross_a_copy_into_root(tmp_path):
    text = "FROM debian:bookworm\nRUN apt-get update\nCOPY rootfs/ /\nRUN apt-get install -y curl\n"
    assert fix_text(text, Settings(select=("DO302",))).output == text
