"""DO601/DO602 and fixes that edit a second file: composing the .dockerignore, writing it with the
Dockerfile, --check/stdin, idempotence, exceptions, which file BuildKit reads, and no secret content
in any output."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from optimizer.core.config import Settings
from optimizer.core.files import compose
from optimizer.core.findings import Applicability, FileEdit
from optimizer.engine import findings, fix_text
from optimizer.rules.context._context import literal

SECRET = "fake-token-value-4242"
KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nFAKE-KEY-BODY-4242\n-----END OPENSSH PRIVATE KEY-----\n"
DOCKERFILE = 'FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nCMD ["python", "app.py"]\n'
BOTH = Settings(select=("DO601", "DO602"))


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, newline="")
    return root


def run(text: str, root: Path, settings: Settings = BOTH, name: str = "Dockerfile", **kw):
    return fix_text(text, settings, path=root / name, context_dir=root, **kw)


# -- composing the second file -------------------------------------------------------------------


def test_compose_creates_a_commented_block():
    out = compose(None, [FileEdit("x", (".git",), "DO602"), FileEdit("x", (".env",), "DO601")])
    assert out.splitlines()[0].startswith("# added by dockopt (DO601, DO602)")
    assert out.endswith(".git\n.env\n")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("# mine\r\n*.md\r\n", "# mine\r\n*.md\r\n\r\n{h}\r\n.git\r\n"),  # CRLF kept
        ("\ufeff*.md\n", "\ufeff*.md\n\n{h}\n.git\n"),  # BOM kept
        ("*.md", "*.md\n\n{h}\n.git"),  # no final newline: still none
        ("*.md\n\n", "*.md\n\n{h}\n.git\n"),  # a blank line already there: not doubled
        ("", "{h}\n.git\n"),  # empty file
    ],
)
def test_compose_keeps_the_file_as_it_is(before, after):
    header = compose(None, [FileEdit("x", (".git",), "DO602")]).splitlines()[0]
    assert compose(before, [FileEdit("x", (".git",), "DO602")]) == after.format(h=header)


def test_compose_adds_nothing_the_file_or_an_earlier_edit_has():
    edits = [FileEdit("x", ("*.md", ".git"), "DO602"), FileEdit("x", (".git",), "DO601")]
    out = compose("  *.md  \n", edits)
    assert out.count(".git") == 1 and out.count("*.md") == 1
    assert "(DO602)" in out  # DO601 added nothing new: not named
    assert compose("*.md\n", [FileEdit("x", ("*.md",), "DO602")]) == "*.md\n"


def test_literal_escapes_pattern_characters():
    assert literal("a[1]*.log") == r"a\[1\]\*.log"
    assert literal("#notes") == r"\#notes" and literal("!x") == r"\!x"


# -- which file, and its exceptions ----------------------------------------------------------------


def test_the_per_dockerfile_ignore_wins_and_is_extended(tmp_path):
    tree(
        tmp_path,
        {
            "api.Dockerfile": DOCKERFILE,
            "api.Dockerfile.dockerignore": "*.md\n",
            ".dockerignore": "",
            "x.log": "x",
        },
    )
    outcome = run(DOCKERFILE, tmp_path, name="api.Dockerfile")
    assert [c.path.name for c in outcome.files] == ["api.Dockerfile.dockerignore"]


def test_a_new_ignore_file_is_per_dockerfile_unless_it_is_the_plain_dockerfile(tmp_path):
    tree(tmp_path, {"Dockerfile.prod": DOCKERFILE, "x.log": "x"})
    assert [c.path.name for c in run(DOCKERFILE, tmp_path, name="Dockerfile.prod").files] == [
        "Dockerfile.prod.dockerignore"
    ]
    assert [c.path.name for c in run(DOCKERFILE, tmp_path).files] == [".dockerignore"]


def test_a_dockerfile_outside_the_context_gets_its_own_ignore_file(tmp_path):
    context = tree(tmp_path / "ctx", {"app.py": "", "x.log": "x"})
    tree(tmp_path / "docker", {"Dockerfile": DOCKERFILE})
    outcome = fix_text(DOCKERFILE, BOTH, path=tmp_path / "docker" / "Dockerfile", context_dir=context)
    assert [c.path for c in outcome.files] == [tmp_path / "docker" / "Dockerfile.dockerignore"]
    assert "Dockerfile\n" not in outcome.files[0].after  # the Dockerfile is not in the context


def test_never_a_pattern_an_exception_brings_back(tmp_path):
    tree(
        tmp_path,
        {".dockerignore": "logs\n!logs/keep.log\n", "logs/keep.log": "x", "logs/a.log": "x", "b.log": "x"},
    )
    outcome = run(DOCKERFILE, tmp_path, Settings(select=("DO602",)))
    added = outcome.files[0].after.split("# added by dockopt")[1]
    assert "*.log" not in added and "keep.log" not in added
    assert "b.log" in added  # the root log is still added, on its own


def test_nothing_for_files_no_copy_takes(tmp_path):
    tree(tmp_path, {".env": SECRET, "x.log": "x", "src/app.py": ""})
    text = "FROM python:3.11-slim\nCOPY src/ /app/\n"
    assert run(text, tmp_path, Settings(select=("DO601", "DO602"), unsafe_fixes=True)).files == []


def test_a_copy_with_a_variable_source_makes_it_unsafe(tmp_path):
    tree(tmp_path, {"x.log": "x", "app.py": ""})
    text = "FROM python:3.11-slim\nARG SRC\nCOPY . /app\nCOPY ${SRC} /extra\n"
    (finding,) = [
        f
        for f in findings(
            text, Settings(select=("DO602",)), path=tmp_path / "Dockerfile", context_dir=tmp_path
        )
        if "log" in f.message
    ]
    assert finding.applicability is Applicability.UNSAFE and "cannot resolve" in finding.message


def test_copy_exclude_is_respected(tmp_path):
    tree(tmp_path, {"x.log": "x", "app.py": ""})
    text = "# syntax=docker/dockerfile:1.7-labs\nFROM python:3.11-slim\nCOPY --exclude=*.log . /app\n"
    found = findings(text, Settings(select=("DO602",)), path=tmp_path / "Dockerfile", context_dir=tmp_path)
    assert not [f for f in found if "log" in f.message]


# -- secrets ------------------------------------------------------------------------------------------


def test_secret_detection_by_name_and_content(tmp_path):
    tree(
        tmp_path,
        {
            ".env": f"TOKEN={SECRET}\n",
            ".env.example": "TOKEN=\n",
            "id_rsa": KEY,
            "id_rsa.pub": "ssh-rsa AAAA\n",
            "tls/server.pem": KEY,
            "tls/chain.pem": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
            "store.p12": "binary",
            ".npmrc": f"//registry.npmjs.org/:_authToken={SECRET}\n",
            ".pypirc": "[pypi]\nusername = __token__\npassword = pypi-fake\n",
            "home/.docker/config.json": '{"auths": {"x": {"auth": "ZmFrZQ=="}}}',
            "sa.json": '{"type": "service_account", "private_key": "x"}',
            "notes.json": '{"private_key": "only in a note"}',
            ".azure/azureProfile.json": "{}",
        },
    )
    found = findings(
        DOCKERFILE, Settings(select=("DO601",)), path=tmp_path / "Dockerfile", context_dir=tmp_path
    )
    named = sorted(f.message.split("`")[1] for f in found)
    assert named == sorted(
        [
            ".env",
            "id_rsa",
            "tls/server.pem",
            "store.p12",
            ".npmrc",
            ".pypirc",
            "home/.docker/config.json",
            "sa.json",
            ".azure/",
        ]
    )


def test_findings_and_every_output_name_the_file_never_its_content(tmp_path):
    tree(
        tmp_path,
        {
            ".env": f"TOKEN={SECRET}\n",
            "deploy/id_rsa": KEY,
            ".npmrc": f"//r/:_authToken={SECRET}\n",
            "app.py": "",
        },
    )
    text = DOCKERFILE.replace("CMD", "RUN npm ci\nCMD")
    (tmp_path / "Dockerfile").write_text(text)
    settings = Settings(select=("DO601", "DO602"), unsafe_fixes=True)
    outcome = run(text, tmp_path, settings)
    texts = [f.message for f in findings(text, settings, path=tmp_path / "Dockerfile", context_dir=tmp_path)]
    texts += [c.after for c in outcome.files]
    for fmt in ("full", "json", "sarif", "github", "markdown"):
        proc = subprocess.run(
            [sys.executable, "-m", "optimizer", "--unsafe-fixes", "--select", "DO601,DO602", "--output-format", fmt, "Dockerfile"],
            cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}, check=False,
        )  # fmt: skip
        texts += [proc.stdout, proc.stderr]
    joined = "\n".join(texts)
    assert ".env" in joined and "deploy/id_rsa" in joined
    assert SECRET not in joined and "FAKE-KEY-BODY" not in joined


def test_an_npmrc_the_install_reads_is_display_only_with_the_secret_mount_shape(tmp_path):
    tree(tmp_path, {".npmrc": f"//r/:_authToken={SECRET}\n", "package.json": "{}"})
    text = "FROM node:18-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci\n"
    (finding,) = findings(
        text, Settings(select=("DO601",)), path=tmp_path / "Dockerfile", context_dir=tmp_path
    )
    assert finding.applicability is Applicability.DISPLAY_ONLY and finding.fix is None
    assert "--mount=type=secret,id=npmrc,target=/app/.npmrc" in finding.message
    assert "--secret id=npmrc,src=.npmrc" in finding.message


def test_a_netrc_is_read_by_curl_only_from_home(tmp_path):
    tree(tmp_path, {".netrc": "machine x login u password p\n", "app.py": ""})
    away = "FROM debian:bookworm-slim\nWORKDIR /app\nCOPY . .\nRUN curl -fsSL https://example.invalid\n"
    home = away.replace("WORKDIR /app", "WORKDIR /root")
    settings = Settings(select=("DO601",))
    (a,) = findings(away, settings, path=tmp_path / "Dockerfile", context_dir=tmp_path)
    (b,) = findings(home, settings, path=tmp_path / "Dockerfile", context_dir=tmp_path)
    assert a.fix is not None and b.applicability is Applicability.DISPLAY_ONLY


# -- the engine and the front ends ----------------------------------------------------------------------


def test_two_rules_one_block_and_a_second_run_adds_nothing(tmp_path):
    tree(tmp_path, {"deploy/id_rsa": KEY, "x.log": "x", "app.py": ""})
    outcome = run(DOCKERFILE, tmp_path)
    (change,) = outcome.files
    assert change.after.count("# added by dockopt") == 1
    assert {f.code for f in outcome.applied} == {"DO601", "DO602"}
    again = run(DOCKERFILE, tmp_path, files={change.path: change.after})
    assert again.files == [] and again.applied == [] and again.remaining == []


def test_rules_off_change_no_file(tmp_path):
    tree(tmp_path, {"deploy/id_rsa": KEY, "x.log": "x"})
    assert run(DOCKERFILE, tmp_path, Settings(ignore=("ALL",))).files == []


def _cli(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    return subprocess.run(
        [sys.executable, "-m", "optimizer", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_cli_diff_check_write_and_stdin(tmp_path):
    tree(
        tmp_path,
        {"Dockerfile": DOCKERFILE, ".dockerignore": "# keep me\r\n*.md\r\n", "x.log": "x", "app.py": ""},
    )
    os.chmod(tmp_path / ".dockerignore", 0o640)
    diff = _cli(tmp_path, "--select", "DO602", "Dockerfile")
    assert diff.returncode == 1
    assert "+++ b/.dockerignore" in diff.stdout and "+*.log" in diff.stdout

    check = _cli(tmp_path, "--check", "--select", "DO602", "Dockerfile")
    assert check.returncode == 1 and "would fix Dockerfile and .dockerignore" in check.stdout + check.stderr

    stdin = _cli(tmp_path, "-", "--stdin-filename", "Dockerfile", "--select", "DO602", stdin=DOCKERFILE)
    assert stdin.returncode == 0 and stdin.stdout == DOCKERFILE
    assert "would also change .dockerignore" in stdin.stderr
    assert (tmp_path / ".dockerignore").read_bytes() == b"# keep me\r\n*.md\r\n"  # stdin never writes it

    write = _cli(tmp_path, "--write", "--select", "DO602", "Dockerfile")
    assert write.returncode == 0, write.stderr
    data = (tmp_path / ".dockerignore").read_bytes()
    assert (
        data.startswith(b"# keep me\r\n*.md\r\n\r\n# added by dockopt (DO602)") and b"\r\n*.log\r\n" in data
    )
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert stat.S_IMODE((tmp_path / ".dockerignore").stat().st_mode) == 0o640
    assert not list(tmp_path.glob("*.dockopt.tmp"))
    assert _cli(tmp_path, "--check", "--select", "DO602", "Dockerfile").returncode == 0  # idempotent


def test_json_and_sarif_carry_the_second_file(tmp_path):
    tree(tmp_path, {"Dockerfile": DOCKERFILE, "x.log": "x"})
    data = json.loads(_cli(tmp_path, "--select", "DO602", "--output-format", "json", "Dockerfile").stdout)
    edits = [e for d in data if d["fix"] for e in d["fix"].get("file_edits", [])]
    assert edits and all(e["filename"] == ".dockerignore" and e["create"] for e in edits)
    sarif = json.loads(_cli(tmp_path, "--select", "DO602", "--output-format", "sarif", "Dockerfile").stdout)
    uris = {
        change["artifactLocation"]["uri"]
        for result in sarif["runs"][0]["results"]
        for fix in result.get("fixes", [])
        for change in fix["artifactChanges"]
    }
    assert uris == {".dockerignore"}


def test_the_language_server_offers_no_quick_fix_that_edits_another_file(tmp_path):
    from optimizer.lsp.actions import offered

    tree(tmp_path, {"x.log": "x"})
    (finding,) = [
        f
        for f in findings(
            DOCKERFILE, Settings(select=("DO602",)), path=tmp_path / "Dockerfile", context_dir=tmp_path
        )
        if "log" in f.message
    ]
    assert finding.fix is not None and finding.fix.file_edits
    assert not offered(finding, unsafe_enabled=True)


def test_write_together_creates_with_the_umask_mode(tmp_path):
    from optimizer.io import write_together

    old = os.umask(0o027)
    try:
        write_together([(tmp_path / "a", "x\n"), (tmp_path / "b", "y\n")])
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o640
    assert (tmp_path / "b").read_text() == "y\n"


def test_stdin_without_a_context_has_no_context_findings():
    assert fix_text(DOCKERFILE, BOTH).files == []


def test_a_later_stage_copying_the_folder_makes_it_unsafe_and_a_named_copy_keeps_it(tmp_path):
    tree(tmp_path, {"x.log": "x", "main.go": ""})
    settings = Settings(select=("DO602",))
    through = "FROM debian:bookworm-slim AS build\nWORKDIR /src\nCOPY . .\nFROM debian:bookworm-slim\nCOPY --from=build /src /app\n"
    (log,) = [
        f
        for f in findings(through, settings, path=tmp_path / "Dockerfile", context_dir=tmp_path)
        if "log" in f.message
    ]
    assert log.applicability is Applicability.UNSAFE and "copies /src from that stage" in log.message
    named = through.replace("/src /app", "/src/x.log /app/")
    assert not [
        f
        for f in findings(named, settings, path=tmp_path / "Dockerfile", context_dir=tmp_path)
        if "log" in f.message
    ]
