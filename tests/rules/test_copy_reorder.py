"""DO401 (manifests before the install) and DO402 (source copy below independent RUNs), case by case.

The fixtures (fixtures/DO401, fixtures/DO402) show one rewrite per ecosystem; these tests pin the
decisions behind them: when the context is missing or unreadable, when a fix turns unsafe, what
stops a move, and that every output is stable under a second pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optimizer.core.config import Settings
from optimizer.engine import findings as all_findings
from optimizer.engine import fix_text
from optimizer.rules.base import Applicability, all_rules
from optimizer.shell import parse_script

PKG = json.dumps({"name": "app", "version": "1.0.0", "dependencies": {"express": "^4.19.2"}})
LOCK = json.dumps({"name": "app", "lockfileVersion": 3, "packages": {}})
NODE = {"package.json": PKG, "package-lock.json": LOCK, "index.js": "1\n", ".dockerignore": "node_modules\n"}


def _write(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def fix(
    folder: Path,
    dockerfile: str,
    files: dict[str, str],
    *,
    unsafe=False,
    select=("DO401", "DO402"),
    context=True,
):
    _write(folder, files)
    (folder / "Dockerfile").write_text(dockerfile)
    settings = Settings(select=select, unsafe_fixes=unsafe)
    where = {"path": folder / "Dockerfile", "context_dir": folder if context else None}
    outcome = fix_text(dockerfile, settings, **where)
    assert outcome.error is None, outcome.error
    if outcome.changed:  # the invariant every rule keeps: a second pass finds nothing to do
        assert not fix_text(outcome.output, settings, **where).changed
    return outcome


def findings(folder: Path, dockerfile: str, *, select=("DO401", "DO402"), context=True):
    settings = Settings(select=select)
    rules = [rule() for rule in all_rules() if settings.enabled(rule)]
    where = {"path": folder / "Dockerfile", "context_dir": folder if context else None}
    return all_findings(dockerfile, settings, rules=rules, **where)


NPM = 'FROM node:18-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node", "index.js"]\n'


def test_npm_ci_copies_manifests_first(tmp_path):
    outcome = fix(tmp_path, NPM, NODE)
    assert outcome.output == (
        "FROM node:18-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\n"
        'CMD ["node", "index.js"]\n'
    )
    assert [f.code for f in outcome.applied] == ["DO401"]


def test_without_a_context_it_reports_and_does_not_rewrite(tmp_path):
    outcome = fix(tmp_path, NPM, NODE, context=False)
    assert not outcome.changed
    [finding] = outcome.remaining
    assert finding.code == "DO401" and finding.fix is None
    assert "no build context" in finding.message


def test_a_context_directory_that_does_not_exist_counts_as_none(tmp_path):
    outcome = fix_text(NPM, Settings(select=("DO401",)), context_dir=tmp_path / "missing")
    assert not outcome.changed and "no build context" in outcome.remaining[0].message


def test_an_unreadable_dockerignore_is_reported(tmp_path):
    outcome = fix(tmp_path, NPM, {**NODE, ".dockerignore": "!\n"})
    assert not outcome.changed
    assert ".dockerignore cannot be read" in outcome.remaining[0].message


def test_a_dockerignored_lockfile_is_not_copied(tmp_path):
    outcome = fix(tmp_path, NPM, {**NODE, ".dockerignore": "node_modules\npackage-lock.json\n"})
    assert "COPY package.json ./\n" in outcome.output


def test_a_sent_node_modules_keeps_the_copy_in_place(tmp_path):
    files = {**NODE, ".dockerignore": "", "node_modules/x/package.json": "{}"}
    outcome = fix(tmp_path, NPM, files)
    assert not outcome.changed
    assert "sends node_modules" in outcome.remaining[0].message


def test_npm_install_with_a_lockfile_is_unsafe(tmp_path):
    text = NPM.replace("npm ci", "npm install")
    assert not fix(tmp_path, text, NODE).changed
    [finding] = findings(tmp_path, text)
    assert (
        finding.applicability is Applicability.UNSAFE and "may rewrite package-lock.json" in finding.message
    )
    assert fix(tmp_path, text, NODE, unsafe=True).changed


def test_npm_install_without_a_lockfile_is_safe(tmp_path):
    files = {k: v for k, v in NODE.items() if k != "package-lock.json"}
    assert "COPY package.json ./\n" in fix(tmp_path, NPM.replace("npm ci", "npm install"), files).output


def test_lifecycle_scripts_make_it_unsafe_unless_ignored(tmp_path):
    package = json.dumps({"name": "app", "scripts": {"postinstall": "node scripts/patch.js"}})
    files = {**NODE, "package.json": package}
    _write(tmp_path, files)
    [finding] = findings(tmp_path, NPM)
    assert finding.applicability is Applicability.UNSAFE and "'postinstall'" in finding.message
    assert fix(tmp_path, NPM.replace("npm ci", "npm ci --ignore-scripts"), files).changed


def test_split_run_keeps_flags_and_moves_the_build_after_the_copy(tmp_path):
    text = (
        "FROM node:18-slim\nWORKDIR /app\nCOPY --chown=node:node --link . .\n"
        "RUN --mount=type=cache,target=/root/.npm npm ci && npm run build\n"
    )
    assert fix(tmp_path, text, NODE).output == (
        "FROM node:18-slim\nWORKDIR /app\nCOPY --chown=node:node --link package.json package-lock.json ./\n"
        "RUN --mount=type=cache,target=/root/.npm npm ci\nCOPY --chown=node:node --link . .\n"
        "RUN --mount=type=cache,target=/root/.npm npm run build\n"
    )


def test_a_split_whose_tail_removes_files_is_unsafe(tmp_path):
    text = NPM.replace("npm ci", "npm ci && npm run build && npm prune --omit=dev")
    _write(tmp_path, NODE)
    [finding] = findings(tmp_path, text)
    assert finding.applicability is Applicability.UNSAFE and "removes files" in finding.message


@pytest.mark.parametrize(
    "run, reason",
    [
        ("RUN cd sub && npm ci && npm run build", "changes shell state"),
        ("RUN npm ci || true && npm run build", "not a single `&&` chain"),
        ("RUN npm ci; npm run build", "not a single `&&` chain"),
    ],
)
def test_runs_that_cannot_be_split_are_left_with_a_reason(tmp_path, run, reason):
    files = {**NODE, "sub/package.json": PKG, "sub/package-lock.json": LOCK}
    outcome = fix(tmp_path, NPM.replace("RUN npm ci", run), files)
    assert not outcome.changed and reason in outcome.remaining[0].message


def test_pip_copies_every_included_requirements_file(tmp_path):
    files = {
        "requirements.txt": "-r base/common.txt\nflask\n",
        "base/common.txt": "-c ../pins.txt\nrequests\n",
        "pins.txt": "urllib3<3\n",
        "app.py": "",
    }
    text = "FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
    output = fix(tmp_path, text, files).output
    assert "COPY requirements.txt pins.txt ./\nCOPY base/common.txt base/\n" in output


def test_pip_editable_line_in_requirements_needs_the_source(tmp_path):
    text = "FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
    outcome = fix(tmp_path, text, {"requirements.txt": "-e .\nflask\n"})
    assert not outcome.changed and "editable install" in outcome.remaining[0].message


def test_a_virtualenv_in_the_context_blocks_the_reorder(tmp_path):
    text = (
        "FROM python:3.11\nWORKDIR /app\nENV VIRTUAL_ENV=/app/.venv PATH=/app/.venv/bin:$PATH\n"
        "COPY . .\nRUN pip install -r requirements.txt\n"
    )
    files = {"requirements.txt": "flask\n", ".venv/bin/python": ""}
    outcome = fix(tmp_path, text, files)
    assert not outcome.changed and ".venv" in outcome.remaining[0].message
    assert fix(tmp_path / "ignored", text, {**files, ".dockerignore": ".venv\n"}).changed


def test_add_of_a_directory_gets_a_copy_of_its_manifests(tmp_path):
    output = fix(tmp_path, NPM.replace("COPY . .", "ADD . /app"), NODE).output
    assert "COPY package.json package-lock.json /app/\nRUN npm ci\nADD . /app\n" in output


def test_env_between_stops_a_copy_that_uses_variables(tmp_path):
    text = "FROM node:18\nWORKDIR /app\nCOPY . $DEST\nENV DEST=/x\nRUN npm ci\n"
    assert not fix(tmp_path, text, NODE).changed


def test_workdir_between_and_a_relative_destination(tmp_path):
    text = "FROM node:18\nWORKDIR /app\nCOPY . .\nWORKDIR /app\nRUN npm ci\n"
    assert not fix(tmp_path, text, NODE).changed  # `.` would mean another directory below the WORKDIR


def test_manifest_copy_stays_above_a_workdir_that_creates_the_destination(tmp_path):
    text = "FROM node:18\nCOPY --chown=node . /app\nWORKDIR /app\nRUN apt-get install -y git\nRUN npm ci\n"
    output = fix(tmp_path, text, NODE).output
    assert output == (
        "FROM node:18\nCOPY --chown=node package.json package-lock.json /app/\nWORKDIR /app\n"
        "RUN apt-get install -y git\nRUN npm ci\nCOPY --chown=node . /app\n"
    )


def test_pragma_keeps_the_copy(tmp_path):
    text = NPM.replace("COPY . .", "# dockopt: ignore=DO401\nCOPY . .")
    assert not fix(tmp_path, text, NODE).changed


def test_poetry_package_mode_false_needs_no_no_root(tmp_path):
    files = {"pyproject.toml": '[tool.poetry]\nname = "x"\npackage-mode = false\n', "poetry.lock": ""}
    text = "FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN poetry install --only main\n"
    assert "COPY pyproject.toml poetry.lock ./\n" in fix(tmp_path, text, files).output


def test_uv_virtual_project_needs_no_flag(tmp_path):
    files = {"pyproject.toml": '[project]\nname = "x"\nversion = "0"\n', "uv.lock": ""}
    text = "FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN uv sync --locked\n"
    assert "COPY pyproject.toml uv.lock ./\n" in fix(tmp_path, text, files).output


def test_bundler_frozen_by_env_is_safe(tmp_path):
    files = {"Gemfile": "source 'https://rubygems.org'\n", "Gemfile.lock": "GEM\n"}
    text = "FROM ruby:3.3\nENV BUNDLE_FROZEN=true\nWORKDIR /app\nCOPY . .\nRUN bundle install\n"
    assert fix(tmp_path, text, files).changed


def test_composer_without_no_autoloader_is_left_alone(tmp_path):
    files = {"composer.json": "{}", "composer.lock": "{}"}
    text = "FROM php:8.3\nWORKDIR /app\nCOPY . .\nRUN composer install --no-dev\n"
    outcome = fix(tmp_path, text, files)
    assert not outcome.changed and "--no-scripts --no-autoloader" in outcome.remaining[0].message


def test_workspace_is_left_alone(tmp_path):
    files = {**NODE, "package.json": json.dumps({"workspaces": ["pkgs/*"]}), "pkgs/a/package.json": PKG}
    outcome = fix(tmp_path, NPM, files)
    assert not outcome.changed and "workspace" in outcome.remaining[0].message


def test_gem_install_is_independent_only_without_local_gem_files(tmp_path):
    text = "FROM ruby:3.3\nWORKDIR /app\nCOPY . .\nRUN gem install bundler\nRUN bundle install --frozen\n"
    files = {"Gemfile": "source 'https://rubygems.org'\n", "Gemfile.lock": "GEM\n"}
    assert fix(tmp_path / "a", text, files).changed
    assert not fix(tmp_path / "b", text, {**files, "bundler-9.gem": ""}).changed


# -- DO402 --------------------------------------------------------------------------------------------

APT = "RUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*\n"


def test_do402_moves_the_copy_below_a_package_install(tmp_path):
    text = "FROM debian\nWORKDIR /src\nCOPY . .\n" + APT + "RUN make\n"
    assert (
        fix(tmp_path, text, {"Makefile": ""}).output
        == "FROM debian\nWORKDIR /src\n" + APT + "COPY . .\nRUN make\n"
    )


def test_do402_needs_no_context(tmp_path):
    text = "FROM debian\nWORKDIR /src\nCOPY . .\n" + APT
    assert fix(tmp_path, text, {}, context=False).changed


@pytest.mark.parametrize(
    "run",
    [
        "RUN apt-get install -y ./tool.deb",  # a package file from the copy
        "RUN apt-get install -y $(cat packages.txt)",  # reads a copied file
        "RUN chmod +x /src/run.sh",  # modifies a copied file
        "RUN ./configure",
        "RUN curl -fsSLO https://example.org/x.tgz",  # downloads into the working directory
        "RUN useradd -m -d /src builder",  # home directory is the destination
    ],
)
def test_do402_leaves_runs_that_may_use_the_copy(tmp_path, run):
    text = f"FROM debian\nWORKDIR /src\nCOPY . .\n{run}\n"
    assert not fix(tmp_path, text, {"tool.deb": ""}).changed


def test_do402_creating_inside_the_destination_depends_on_the_context(tmp_path):
    text = "FROM debian\nWORKDIR /src\nCOPY . .\nRUN mkdir -p /src/logs && apt-get install -y curl\n"
    assert fix(tmp_path / "a", text, {"main.c": ""}).changed
    assert not fix(tmp_path / "b", text, {"logs/old.log": ""}).changed
    assert not fix(tmp_path / "c", text, {}, context=False).changed


def test_do402_is_unsafe_for_package_directories(tmp_path):
    text = "FROM debian\nCOPY . /var/www/html\nRUN apt-get install -y apache2\n"
    assert not fix(tmp_path, text, {"index.html": ""}).changed
    assert fix(tmp_path, text, {"index.html": ""}, unsafe=True).changed
    root = "FROM debian\nCOPY . /\nRUN apt-get install -y curl\n"
    assert not fix(tmp_path, root, {}, unsafe=True).changed  # apt reads /etc/apt, which the copy may replace


def test_do402_runs_after_do401(tmp_path):
    """The engine orders them (DO401's phase comes first): DO402 sees DO401's result, never competes."""
    text = "FROM node:18\nWORKDIR /app\nCOPY . .\nRUN apt-get install -y git\nRUN npm ci\n"
    _write(tmp_path, NODE)
    expected = (
        "FROM node:18\nWORKDIR /app\nRUN apt-get install -y git\nCOPY package.json package-lock.json ./\n"
        "RUN npm ci\nCOPY . .\n"
    )
    assert fix(tmp_path, text, NODE).output == expected
    outcome = fix_text(
        text, Settings(select=("DO401", "DO402")), path=tmp_path / "Dockerfile", context_dir=tmp_path
    )
    assert [f.code for f in outcome.applied] == ["DO401"]
    assert [f.code for f in findings(tmp_path, text, select=("DO402",))] == ["DO402"]


def test_do402_moves_a_copy_whose_do401_fix_is_silenced(tmp_path):
    text = "FROM node:18\nWORKDIR /app\n# dockopt: ignore=DO401\nCOPY . .\nRUN apt-get install -y git\nRUN npm ci\n"
    assert fix(tmp_path, text, NODE).output == (
        "FROM node:18\nWORKDIR /app\nRUN apt-get install -y git\n\n# dockopt: ignore=DO401\nCOPY . .\nRUN npm ci\n"
    )


def test_do402_keeps_comments_with_the_copy(tmp_path):
    text = "FROM debian\nWORKDIR /src\n\n# the sources\nCOPY . .\n\n" + APT + '\nCMD ["make"]\n'
    assert fix(tmp_path, text, {}).output == (
        "FROM debian\nWORKDIR /src\n\n" + APT + '\n# the sources\nCOPY . .\n\nCMD ["make"]\n'
    )


def test_shell_judgement_of_file_commands():
    from optimizer.rules.caching._paths import Where
    from optimizer.rules.caching._shell import judge

    where = Where("/src", ("/src",))

    def independent(line: str) -> bool:
        return all(judge(c, where).independent for c in parse_script(line).commands)

    assert independent("rm -rf /var/lib/apt/lists/* /tmp/*")
    assert independent("echo 'deb x' > /etc/apt/sources.list.d/x.list")
    assert independent("curl -fsSL https://x/key.gpg -o /usr/share/keyrings/x.gpg")
    assert not independent("rm -rf build")  # relative to /src
    assert not independent("cat /src/VERSION > /etc/version")
    assert not independent("wget https://x/y.tgz")  # into the working directory
    assert not independent("tar -xzf y.tgz")
