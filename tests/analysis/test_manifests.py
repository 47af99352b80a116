"""Manifest detection per ecosystem, over small contexts written to tmp_path."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from optimizer.analysis.context import BuildContext
from optimizer.analysis.manifests import detect_manifests, find_manifest_dirs


@dataclass
class Case:
    id: str
    files: dict[str, str]
    ecosystem: str
    want_files: list[str]
    reasons: list[str] = field(default_factory=list)  # substrings, one per expected reason
    directory: str = "."
    excluded: list[str] = field(default_factory=list)
    tool: str | None = None
    workspaces: list[str] | None = None
    workspaces_complete: bool = True
    lockfile: str | None = None


def pkg(**fields: object) -> str:
    return json.dumps({"name": "app", "version": "1.0.0", **fields})


CASES = [
    # -- npm / yarn / pnpm ------------------------------------------------------------------
    Case(
        "npm-lock",
        {"package.json": pkg(), "package-lock.json": "{}", "src/a.js": ""},
        "npm",
        ["package.json", "package-lock.json"],
        tool="npm",
        lockfile="package-lock.json",
    ),
    Case(
        "npm-shrinkwrap",
        {"package.json": pkg(), "npm-shrinkwrap.json": "{}"},
        "npm",
        ["package.json", "npm-shrinkwrap.json"],
        tool="npm",
    ),
    Case("npm-no-lock", {"package.json": pkg()}, "npm", ["package.json"], tool="npm", lockfile=None),
    Case(
        "npmrc",
        {"package.json": pkg(), "package-lock.json": "{}", ".npmrc": "x"},
        "npm",
        ["package.json", "package-lock.json", ".npmrc"],
    ),
    Case(
        "yarn-classic",
        {"package.json": pkg(), "yarn.lock": "", ".yarnrc": ""},
        "npm",
        ["package.json", "yarn.lock", ".yarnrc"],
        tool="yarn",
    ),
    Case(
        "yarn-berry",
        {
            "package.json": pkg(packageManager="yarn@4.1.0"),
            "yarn.lock": "",
            ".yarnrc.yml": "yarnPath: x",
            ".yarn/releases/yarn-4.1.0.cjs": "",
            ".yarn/plugins/@yarnpkg/plugin-x.cjs": "",
            ".yarn/cache/big.zip": "",
        },
        "npm",
        [
            "package.json",
            "yarn.lock",
            ".yarnrc.yml",
            ".yarn/releases/yarn-4.1.0.cjs",
            ".yarn/plugins/@yarnpkg/plugin-x.cjs",
        ],
        tool="yarn-berry",
    ),
    Case(
        "pnpm",
        {"package.json": pkg(), "pnpm-lock.yaml": "", ".pnpmfile.cjs": ""},
        "npm",
        ["package.json", "pnpm-lock.yaml", ".pnpmfile.cjs"],
        tool="pnpm",
    ),
    Case(
        "postinstall",
        {"package.json": pkg(scripts={"postinstall": "node scripts/fix.js", "build": "tsc"})},
        "npm",
        ["package.json"],
        reasons=["'postinstall' script"],
    ),
    Case(
        "file-dependency",
        {"package.json": pkg(dependencies={"lib": "file:../lib", "x": "^1"})},
        "npm",
        ["package.json"],
        reasons=["'lib' is a local path"],
    ),
    Case(
        "lock-dockerignored",
        {"package.json": pkg(), "package-lock.json": "{}", ".dockerignore": "package-lock.json\n"},
        "npm",
        ["package.json"],
        excluded=["package-lock.json"],
    ),
    Case(
        "workspaces",
        {
            "package.json": pkg(workspaces=["packages/*", "apps/web"]),
            "package-lock.json": "{}",
            "packages/a/package.json": pkg(),
            "packages/b/package.json": pkg(),
            "packages/notes/README": "",
            "apps/web/package.json": pkg(),
            "apps/other/package.json": pkg(),
        },
        "npm",
        [
            "package.json",
            "package-lock.json",
            "packages/a/package.json",
            "packages/b/package.json",
            "apps/web/package.json",
        ],
        workspaces=["packages/*", "apps/web"],
    ),
    Case(
        "workspaces-object",
        {"package.json": pkg(workspaces={"packages": ["libs/**"]}), "libs/x/y/package.json": pkg()},
        "npm",
        ["package.json", "libs/x/y/package.json"],
        workspaces=["libs/**"],
    ),
    Case(
        "workspace-member-postinstall",
        {
            "package.json": pkg(workspaces=["p/*"]),
            "p/a/package.json": pkg(scripts={"install": "node-gyp rebuild"}),
        },
        "npm",
        ["package.json", "p/a/package.json"],
        reasons=["p/a/package.json runs the 'install' script"],
    ),
    Case(
        "workspace-member-manifest-ignored",
        {
            "package.json": pkg(workspaces=["p/*"]),
            "p/a/package.json": pkg(),
            "p/a/index.js": "",
            ".dockerignore": "p/a/package.json\n",
        },
        "npm",
        ["package.json"],
        reasons=["workspace members"],
        excluded=["p/a/package.json"],
        workspaces_complete=False,
    ),
    # A member directory the builder never sees is no member at build time, before or after a rewrite.
    Case(
        "workspace-member-dir-ignored",
        {"package.json": pkg(workspaces=["p/*"]), "p/a/package.json": pkg(), ".dockerignore": "p/a\n"},
        "npm",
        ["package.json"],
        workspaces=["p/*"],
    ),
    Case(
        "pnpm-workspace",
        {
            "package.json": pkg(),
            "pnpm-lock.yaml": "",
            "pnpm-workspace.yaml": "packages:\n  - 'pkgs/*'\n  - \"!pkgs/skip\"\n",
            "pkgs/one/package.json": pkg(),
            "pkgs/skip/package.json": pkg(),
        },
        "npm",
        ["package.json", "pnpm-lock.yaml", "pnpm-workspace.yaml", "pkgs/one/package.json"],
        tool="pnpm",
        workspaces=["pkgs/*", "!pkgs/skip"],
    ),
    Case(
        "npm-subdir",
        {"frontend/package.json": pkg(), "frontend/yarn.lock": ""},
        "npm",
        ["frontend/package.json", "frontend/yarn.lock"],
        directory="frontend",
    ),
    Case("npm-bad-json", {"package.json": "{nope"}, "npm", ["package.json"], reasons=["not valid JSON"]),
    # -- pip ------------------------------------------------------------------------------------
    Case("pip-simple", {"requirements.txt": "flask==3.0\nrequests>=2 # http\n"}, "pip", ["requirements.txt"]),
    Case(
        "pip-includes",
        {
            "requirements.txt": "-r requirements/base.txt\n--constraint=constraints.txt\n",
            "requirements/base.txt": "-r common.txt\ndjango\n",
            "requirements/common.txt": "-c ../constraints.txt\n",
            "constraints.txt": "django<5\n",
            "requirements-dev.txt": "-rrequirements.txt\npytest\n",
        },
        "pip",
        [
            "requirements-dev.txt",
            "requirements.txt",
            "requirements/base.txt",
            "requirements/common.txt",
            "constraints.txt",
        ],
    ),
    Case(
        "pip-missing-include",
        {"requirements.txt": "-r base.txt\n"},
        "pip",
        ["requirements.txt"],
        reasons=["base.txt is included by a requirements file but does not exist"],
    ),
    Case(
        "pip-ignored-include",
        {"requirements.txt": "-r base.txt\n", "base.txt": "x\n", ".dockerignore": "base.txt\n"},
        "pip",
        ["requirements.txt"],
        reasons=["base.txt is included by a requirements file but .dockerignore excludes it"],
        excluded=["base.txt"],
    ),
    Case(
        "pip-editable-dot",
        {"requirements.txt": "flask\n-e .\n"},
        "pip",
        ["requirements.txt"],
        reasons=["editable install of local path '.'"],
    ),
    Case(
        "pip-local-paths",
        {"requirements.txt": ".\n./libs/foo\nwheels/x-1.0-py3-none-any.whl\npkg @ file:///src/pkg\n"},
        "pip",
        ["requirements.txt"],
        reasons=["'.' is a local path", "'./libs/foo'", "x-1.0-py3-none-any.whl", "file:///src/pkg"],
    ),
    Case(
        "pip-not-local",
        {
            "requirements.txt": "-e git+https://github.com/x/y.git#egg=y\npkg @ https://x/y.whl\n--index-url https://pypi\n"
            "foo[bar]>=1 ; python_version<'3.12'\n--hash=sha256:abc\n"
        },
        "pip",
        ["requirements.txt"],
    ),
    Case(
        "pip-find-links",
        {"requirements.txt": "--find-links ./wheels\nx\n"},
        "pip",
        ["requirements.txt"],
        reasons=["--find-links ./wheels"],
    ),
    Case(
        "pip-continuation",
        {"requirements.txt": "-r \\\n  base.txt\n", "base.txt": "x\n"},
        "pip",
        ["requirements.txt", "base.txt"],
    ),
    Case(
        "pip-remote-include",
        {"requirements.txt": "-r https://x/req.txt\n"},
        "pip",
        ["requirements.txt"],
        reasons=["remote file"],
    ),
    Case(
        "pip-subdir",
        {"backend/requirements.txt": "-r ../shared/req.txt\n", "shared/req.txt": "x\n"},
        "pip",
        ["backend/requirements.txt", "shared/req.txt"],
        directory="backend",
    ),
    # -- poetry / pipenv / uv -----------------------------------------------------------------------
    Case(
        "poetry",
        {
            "pyproject.toml": '[tool.poetry]\nname="a"\n[tool.poetry.dependencies]\npython="^3.11"\n',
            "poetry.lock": "",
            "poetry.toml": "",
        },
        "poetry",
        ["pyproject.toml", "poetry.lock", "poetry.toml"],
        lockfile="poetry.lock",
    ),
    Case(
        "poetry-path-dep",
        {
            "pyproject.toml": '[tool.poetry.dependencies]\nlib={path="../lib", develop=true}\n'
            '[tool.poetry.group.dev.dependencies]\nt={path="tools"}\n'
        },
        "poetry",
        ["pyproject.toml"],
        reasons=["dependency 'lib' is a local path", "group dev dependency 't'"],
    ),
    Case(
        "pipenv",
        {"Pipfile": '[packages]\nflask="*"\n', "Pipfile.lock": "{}"},
        "pipenv",
        ["Pipfile", "Pipfile.lock"],
    ),
    Case(
        "pipenv-path",
        {"Pipfile": '[packages]\nme={path=".", editable=true}\n'},
        "pipenv",
        ["Pipfile"],
        reasons=["package 'me' is a local path"],
    ),
    Case(
        "uv",
        {"pyproject.toml": '[project]\nname="a"\n', "uv.lock": "", ".python-version": "3.12"},
        "uv",
        ["pyproject.toml", "uv.lock", ".python-version"],
        lockfile="uv.lock",
    ),
    Case(
        "uv-workspace",
        {
            "pyproject.toml": '[project]\nname="a"\n[tool.uv.workspace]\nmembers=["packages/*"]\n'
            '[tool.uv.sources]\nb={workspace=true}\nc={path="vendor/c"}\n',
            "uv.lock": "",
            "packages/b/pyproject.toml": "[project]\nname='b'\n",
        },
        "uv",
        ["pyproject.toml", "uv.lock", "packages/b/pyproject.toml"],
        reasons=["source 'c' is a local path"],
        workspaces=["packages/*"],
    ),
    # -- go -------------------------------------------------------------------------------------
    Case(
        "go", {"go.mod": "module x\n\ngo 1.22\n", "go.sum": ""}, "go", ["go.mod", "go.sum"], lockfile="go.sum"
    ),
    Case(
        "go-replace-local",
        {
            "go.mod": "module x\nreplace example.com/a => ../a\nreplace (\n\texample.com/b v1.0.0 => ./b // local\n"
            "\texample.com/c => example.com/c2 v1.2.3\n)\n"
        },
        "go",
        ["go.mod"],
        reasons=["replace points at local directory ../a", "local directory ./b"],
    ),
    Case(
        "go-replace-module",
        {"go.mod": "module x\nreplace example.com/c => example.com/c2 v1.2.3\n", "go.sum": ""},
        "go",
        ["go.mod", "go.sum"],
    ),
    Case(
        "go-work",
        {
            "go.work": "go 1.22\nuse (\n\t./svc\n\t./lib\n)\n",
            "go.work.sum": "",
            "svc/go.mod": "module svc\n",
            "svc/go.sum": "",
            "lib/go.mod": "module lib\n",
        },
        "go",
        ["go.work", "go.work.sum", "svc/go.mod", "svc/go.sum", "lib/go.mod"],
        workspaces=["./svc", "./lib"],
    ),
    Case(
        "go-vendor",
        {"go.mod": "module x\n", "vendor/modules.txt": ""},
        "go",
        ["go.mod"],
        reasons=["vendored"],
    ),
    # -- maven ----------------------------------------------------------------------------------
    Case(
        "maven-multi",
        {
            "pom.xml": '<project xmlns="http://maven.apache.org/POM/4.0.0"><modules><module>core</module>'
            "<module>web</module></modules></project>",
            "core/pom.xml": "<project/>",
            "web/pom.xml": "<project><modules><module>ui</module></modules></project>",
            "web/ui/pom.xml": "<project/>",
            "mvnw": "",
            ".mvn/wrapper/maven-wrapper.properties": "",
        },
        "maven",
        [
            "mvnw",
            ".mvn/wrapper/maven-wrapper.properties",
            "pom.xml",
            "core/pom.xml",
            "web/pom.xml",
            "web/ui/pom.xml",
        ],
        workspaces=["core", "web"],
    ),
    Case(
        "maven-missing-module",
        {"pom.xml": "<project><modules><module>gone</module></modules></project>"},
        "maven",
        ["pom.xml"],
        reasons=["module pom gone/pom.xml is not in the context"],
        workspaces_complete=False,
        workspaces=["gone"],
    ),
    Case(
        "maven-bad-xml",
        {"pom.xml": "<project>"},
        "maven",
        ["pom.xml"],
        reasons=["not well-formed XML"],
        workspaces_complete=False,
    ),
    # -- gradle ---------------------------------------------------------------------------------
    Case(
        "gradle",
        {
            "settings.gradle.kts": 'rootProject.name = "x"\ninclude(":app", ":lib:core")\n',
            "build.gradle.kts": "",
            "gradle.properties": "",
            "gradlew": "",
            "gradle/wrapper/gradle-wrapper.jar": "",
            "gradle/wrapper/gradle-wrapper.properties": "",
            "gradle/libs.versions.toml": "",
            "app/build.gradle.kts": "",
            "lib/core/build.gradle.kts": "",
            "app/src/Main.kt": "",
        },
        "gradle",
        [
            "settings.gradle.kts",
            "build.gradle.kts",
            "gradle.properties",
            "gradlew",
            "gradle/wrapper/gradle-wrapper.jar",
            "gradle/wrapper/gradle-wrapper.properties",
            "gradle/libs.versions.toml",
            "app/build.gradle.kts",
            "lib/core/build.gradle.kts",
        ],
        workspaces=["app", "lib/core"],
    ),
    Case(
        "gradle-groovy-buildsrc",
        {
            "settings.gradle": "include 'api', 'impl'\nincludeBuild('plugins')\n",
            "build.gradle": "apply from: 'x.gradle'\n",
            "buildSrc/build.gradle": "",
        },
        "gradle",
        ["settings.gradle", "build.gradle"],
        reasons=["includeBuild", "buildSrc", "applies another script"],
        workspaces=["api", "impl"],
    ),
    # -- bundler --------------------------------------------------------------------------------
    Case(
        "bundler",
        {"Gemfile": "source 'https://rubygems.org'\ngem 'rails'\n", "Gemfile.lock": "", ".bundle/config": ""},
        "bundler",
        ["Gemfile", "Gemfile.lock", ".bundle/config"],
        lockfile="Gemfile.lock",
    ),
    Case(
        "bundler-gemspec",
        {"Gemfile": "source 'x'\ngemspec\n", "mygem.gemspec": ""},
        "bundler",
        ["Gemfile", "mygem.gemspec"],
        reasons=["uses gemspec"],
    ),
    Case(
        "bundler-path",
        {"Gemfile": "gem 'x', path: 'vendor/x'\neval_gemfile 'Gemfile.local'\n"},
        "bundler",
        ["Gemfile"],
        reasons=["local paths", "Gemfile.local"],
    ),
    Case(
        "bundler-ruby-version",
        {"Gemfile": "ruby file: '.ruby-version'\n", ".ruby-version": "3.3"},
        "bundler",
        ["Gemfile", ".ruby-version"],
    ),
    # -- composer -------------------------------------------------------------------------------
    Case(
        "composer",
        {
            "composer.json": json.dumps(
                {"require": {"php": ">=8.2"}, "autoload": {"psr-4": {"App\\": "src/"}}}
            ),
            "composer.lock": "{}",
        },
        "composer",
        ["composer.json", "composer.lock"],
        lockfile="composer.lock",
    ),
    Case(
        "composer-scripts",
        {
            "composer.json": json.dumps(
                {
                    "scripts": {"post-install-cmd": ["@auto"]},
                    "autoload": {"classmap": ["lib/"]},
                    "repositories": [{"type": "path", "url": "../pkg"}],
                }
            )
        },
        "composer",
        ["composer.json"],
        reasons=["path repository", "post-install-cmd", "classmap"],
    ),
    # -- dotnet ---------------------------------------------------------------------------------
    Case(
        "dotnet-project",
        {
            "app.csproj": "<Project Sdk='Microsoft.NET.Sdk'/>",
            "NuGet.Config": "",
            "Directory.Build.props": "",
            "global.json": "",
        },
        "dotnet",
        ["app.csproj", "Directory.Build.props", "NuGet.Config", "global.json"],
        workspaces=["app.csproj"],
    ),
    Case(
        "dotnet-solution",
        {
            "App.sln": 'Project("{FAE04EC0}") = "Web", "src\\Web\\Web.csproj", "{1}"\nEndProject\n'
            'Project("{FAE04EC0}") = "Gone", "src\\Gone\\Gone.csproj", "{2}"\nEndProject\n',
            "src/Web/Web.csproj": '<Project><ItemGroup><ProjectReference Include="..\\Lib\\Lib.csproj" /></ItemGroup></Project>',
            "src/Lib/Lib.csproj": "<Project/>",
            "src/Lib/packages.lock.json": "{}",
            "src/Directory.Packages.props": "",
        },
        "dotnet",
        [
            "App.sln",
            "src/Web/Web.csproj",
            "src/Lib/Lib.csproj",
            "src/Lib/packages.lock.json",
            "src/Directory.Packages.props",
        ],
        reasons=["lists src\\Gone\\Gone.csproj"],
        workspaces=["src/Lib/Lib.csproj", "src/Web/Web.csproj"],
        workspaces_complete=False,
    ),
    # -- cargo ----------------------------------------------------------------------------------
    Case(
        "cargo",
        {"Cargo.toml": '[package]\nname="a"\nversion="0.1.0"\n', "Cargo.lock": "", "src/main.rs": ""},
        "cargo",
        ["Cargo.toml", "Cargo.lock"],
        reasons=["needs crate sources"],
        lockfile="Cargo.lock",
    ),
    Case(
        "cargo-workspace",
        {
            "Cargo.toml": '[workspace]\nmembers=["crates/*"]\nexclude=["crates/old"]\n',
            "Cargo.lock": "",
            "crates/a/Cargo.toml": '[package]\nname="a"\n[dependencies]\nb={path="../b"}\nz={path="../../z"}\n',
            "crates/b/Cargo.toml": '[package]\nname="b"\n',
            "crates/b/build.rs": "",
            "crates/old/Cargo.toml": "",
            "rust-toolchain.toml": "",
        },
        "cargo",
        ["Cargo.toml", "Cargo.lock", "rust-toolchain.toml", "crates/a/Cargo.toml", "crates/b/Cargo.toml"],
        reasons=["needs crate sources", "dependency 'z' is a local path", "crates/b/build.rs"],
        workspaces=["crates/*"],
    ),
]


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_detect(tmp_path: Path, case: Case) -> None:
    write(tmp_path, case.files)
    found = {m.ecosystem: m for m in detect_manifests(BuildContext(tmp_path), case.directory)}
    assert case.ecosystem in found, found
    result = found[case.ecosystem]
    assert result.files == case.want_files
    assert result.excluded == case.excluded
    assert len(result.needs_source) == len(case.reasons), result.needs_source
    for reason in case.reasons:
        assert any(reason in r for r in result.needs_source), (reason, result.needs_source)
    if case.tool is not None:
        assert result.tool == case.tool
    if case.lockfile is not None or case.id.endswith("no-lock"):
        assert result.lockfile == case.lockfile
    if case.workspaces is not None:
        assert result.workspaces == case.workspaces
    assert result.workspaces_complete is case.workspaces_complete
    assert result.self_contained is (not case.reasons and case.workspaces_complete)


def test_several_ecosystems_and_nothing_else(tmp_path: Path) -> None:
    write(tmp_path, {"Gemfile": "gem 'rails'\n", "package.json": pkg(), "yarn.lock": "", "README.md": ""})
    assert [m.ecosystem for m in detect_manifests(tmp_path)] == ["npm", "bundler"]


def test_pyproject_without_tool_markers_is_not_claimed(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": '[project]\nname="a"\n'})
    assert detect_manifests(tmp_path) == []


def test_empty_context(tmp_path: Path) -> None:
    assert detect_manifests(tmp_path) == []
    assert find_manifest_dirs(BuildContext(tmp_path)) == []


def test_find_manifest_dirs(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "go.mod": "",
            "web/package.json": "{}",
            "web/node_modules/x/package.json": "{}",
            "api/requirements-prod.txt": "",
            "docs/index.md": "",
        },
    )
    assert find_manifest_dirs(BuildContext(tmp_path)) == [".", "api", "web"]


def test_only_requested_ecosystems(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module x\n", "package.json": pkg()})
    assert [m.ecosystem for m in detect_manifests(tmp_path, ecosystems=["go"])] == ["go"]
