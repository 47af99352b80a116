"""DO601/DO602 on a real engine: the .dockerignore they write keeps secrets and junk out of the image,
the app still runs the same, and an edit of an ignored file no longer rebuilds anything.

For a Python and a Node context (each with a dotenv file, an SSH key, a ``.git`` folder, logs and
tool caches): run the fix (unsafe fixes on, so the ``.env`` entry is written too), write the
``.dockerignore`` exactly as ``--write`` does, build both images from scratch, check that the
rewritten one lacks every ignored path and keeps the app, run both containers and compare their
output, then edit an ignored file and rebuild both with the cache: the original re-runs the steps
after its ``COPY . .``, the rewritten build is fully cached. ``dockopt verify`` itself is run on
the Python context at the end (it builds the rewrite with its .dockerignore and times that edit).

Skipped unless the build lab answers (``engine_env``).
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from optimizer.core.config import Settings
from optimizer.engine import fix_text
from optimizer.io import write_together
from optimizer.rules.base import all_rules
from optimizer.verify.compare import compare_snapshots
from optimizer.verify.docker import DockerCLI

pytestmark = pytest.mark.engine

FAKE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nFAKE-KEY-FOR-DOCKOPT-TESTS\n-----END OPENSSH PRIVATE KEY-----\n"
)
COMMON = {
    ".env": "API_TOKEN=fake-token-for-tests\n",
    "deploy/id_rsa": FAKE_KEY,
    ".git/HEAD": "ref: refs/heads/main\n",
    ".git/config": "[core]\n\tbare = false\n",
    "server.log": "started\n",
    ".DS_Store": "fake\n",
    "README.md": "# demo\n",
}
APPS = {
    "python": (
        {
            "Dockerfile": (
                "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\n"
                "RUN useradd --create-home app\nUSER app\nCMD [\"python\", \"app/main.py\"]\n"
            ),
            "app/main.py": "from greeting import hello\nprint(hello('container'))\n",
            "app/greeting.py": "def hello(name):\n    return f'hello, {name}'\n",
            "app/__pycache__/main.cpython-311.pyc": "stale\n",
            ".venv/pyvenv.cfg": "home = /usr/bin\n",
            ".pytest_cache/README.md": "cache\n",
        },
        ["/app/.env", "/app/deploy/id_rsa", "/app/.git", "/app/server.log", "/app/.DS_Store",
         "/app/app/__pycache__", "/app/.venv", "/app/.pytest_cache", "/app/Dockerfile"],
        ["/app/app/main.py", "/app/README.md"],
    ),
    "node": (
        {
            "Dockerfile": (
                "FROM node:18-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\n"
                "CMD [\"node\", \"index.js\"]\n"
            ),
            "package.json": '{"name": "app", "version": "1.0.0", "private": true}\n',
            "package-lock.json": (
                '{"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,\n'
                ' "packages": {"": {"name": "app", "version": "1.0.0"}}}\n'
            ),
            "index.js": "const fs = require('fs');\nconsole.log(JSON.stringify(fs.readdirSync('/app').sort()));\n",
            "node_modules/left-pad/index.js": "module.exports = 1;\n",
            "npm-debug.log": "oops\n",
        },
        # (node_modules is ignored too, but `npm ci` deletes the copied one first: in neither image)
        ["/app/.env", "/app/deploy/id_rsa", "/app/.git", "/app/server.log", "/app/npm-debug.log"],
        ["/app/index.js", "/app/package.json", "/app/README.md"],
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def docker(engine_env):
    cli = DockerCLI(env=engine_env, timeout=900)
    cli.detect()
    return cli


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _run(engine_env, tag: str) -> str:
    result = subprocess.run(
        ["docker", "run", "--rm", "--network", "host", tag],
        env=engine_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("app", sorted(APPS))
def test_the_image_lacks_secrets_and_junk_and_behaves_the_same(app, docker, engine_env, tmp_path):
    files, gone, kept = APPS[app]
    context = tmp_path / "context"  # gets the .dockerignore
    bare = tmp_path / "bare"  # the same files without it: the original build
    _tree(context, {**COMMON, **files})
    _tree(bare, {**COMMON, **files})
    original = (context / "Dockerfile").read_text()
    settings = Settings(select=("DO601", "DO602"), unsafe_fixes=True)
    outcome = fix_text(original, settings, path=context / "Dockerfile", context_dir=context)
    assert outcome.output == original  # only the .dockerignore changes
    (change,) = outcome.files
    assert change.path == context / ".dockerignore" and change.before is None
    assert "fake-token" not in change.after and "FAKE-KEY" not in change.after
    again = fix_text(
        original,
        settings,
        path=context / "Dockerfile",
        context_dir=context,
        files={change.path: change.after},
    )
    assert again.files == [] and again.applied == []

    prefix = f"dockopt-context-{app}-{uuid.uuid4().hex[:8]}"
    tags = {n: f"{prefix}:{n}" for n in ("original", "rewritten", "original-edit", "rewritten-edit")}
    try:
        before = docker.build(original, bare, tags["original"], no_cache=True)
        write_together([(change.path, change.after)])  # what --write does
        after = docker.build(original, context, tags["rewritten"], no_cache=True)
        assert before.image_id != after.image_id

        old, new = docker.snapshot(tags["original"]), docker.snapshot(tags["rewritten"])
        rules = {r.code: r for r in all_rules()}
        removes = {f.code: rules[f.code].removes for f in outcome.applied}
        comparison = compare_snapshots(old, new, allowed_paths=removes, changed_by={c: c for c in removes})
        assert comparison.equivalent, comparison
        for path in gone:
            assert path in old.files, path
            assert path not in new.files, path
        for path in kept:
            assert path in old.files and path in new.files, path
        assert "/app/node_modules/left-pad" not in old.files | new.files

        # The app behaves the same (the node app lists /app: the same, but for the ignored files).
        out_old, out_new = _run(engine_env, tags["original"]), _run(engine_env, tags["rewritten"])
        if app == "python":
            assert out_old == out_new == "hello, container\n"
        else:
            listed_old, listed_new = json.loads(out_old), json.loads(out_new)
            assert set(listed_new) <= set(listed_old)
            # npm ci empties the copied node_modules (no host file survives) and, as the folder
            # exists, writes its hidden lockfile there; without the copy this no-dependency app gets
            # no node_modules at all
            assert [p for p in old.files if p.startswith("/app/node_modules/")] == [
                "/app/node_modules/.package-lock.json"
            ]
            assert set(listed_old) - set(listed_new) == {
                ".env", ".git", "server.log", "npm-debug.log", "Dockerfile", ".DS_Store", "node_modules"
            }  # fmt: skip

        # An edit of an ignored file: the original re-runs what follows its COPY, the rewrite nothing.
        token = uuid.uuid4().hex
        for root in (bare, context):
            log = root / "server.log"
            log.write_text(log.read_text() + f"edited {token}\n")
        warm_old = docker.build(original, bare, tags["original-edit"])
        warm_new = docker.build(original, context, tags["rewritten-edit"])
        assert warm_old.executed_instructions, "the original should rebuild after its COPY"
        assert warm_new.executed_instructions == [], [s.name for s in warm_new.executed_instructions]
        assert warm_new.image_id == after.image_id
    finally:
        docker.remove(*tags.values())


def test_verify_measures_the_rebuild_after_editing_an_ignored_file(docker, tmp_path):
    from optimizer.verify.pipeline import verify_variants

    files, _, _ = APPS["python"]
    context = tmp_path / "context"
    _tree(context, {**COMMON, **files})
    settings = Settings(select=("DO601", "DO602"))
    report = verify_variants(context / "Dockerfile", {"rewritten": settings}, docker=docker)["rewritten"]
    assert report.problem is None, report.problem
    assert report.status == "equivalent", report.comparison
    assert report.ignored_file == "server.log"
    assert report.original is not None and report.rewritten is not None
    cached, total = report.rewritten.ignored_hits or (0, -1)
    assert cached == total > 0  # fully cached
    cached, total = report.original.ignored_hits or (0, 0)
    assert cached < total  # the original copied the log, so the steps after the COPY ran again
    assert not (context / ".dockerignore").exists()  # verify never writes the user's tree
