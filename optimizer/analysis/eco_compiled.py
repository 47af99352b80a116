"""Go, Maven, Gradle, Cargo and .NET: the files their dependency step reads.

Why each list: ``go mod download`` reads go.mod/go.sum (and go.work with its members); a
``replace`` to a local directory or a ``vendor/`` tree means the source is needed. Maven reads
every module's pom.xml (``<modules>``, recursively), ``.mvn/`` and ``mvnw``. Gradle reads the
settings and build scripts of every included project, ``gradle.properties``, the wrapper and
version catalogs; ``buildSrc``, ``includeBuild`` and ``apply from:`` pull in more. Cargo cannot
build dependencies from manifests alone (a crate needs a target: ``src/main.rs`` or
``src/lib.rs``), so it always reports that, plus workspace members and ``path`` dependencies.
``dotnet restore`` reads the project files a solution or ``ProjectReference`` names, and the
``Directory.*.props``/``NuGet.config``/``global.json`` MSBuild finds walking up the tree.
"""

from __future__ import annotations

import re

from ._detect import Collector, Manifests, expand_dir_globs, join
from .context import BuildContext
from .gomatch import clean

__all__ = ["detect_cargo", "detect_dotnet", "detect_go", "detect_gradle", "detect_maven"]


def _parent(rel: str) -> str:
    return rel.rpartition("/")[0] or "."


# -- go ------------------------------------------------------------------------------------------


def _go_directives(text: str, verb: str) -> list[str]:
    """The bodies of ``verb`` directives in go.mod/go.work, single-line and block form."""
    out: list[str] = []
    block = False
    for raw in text.splitlines():
        line = raw.split("//", 1)[0].strip()
        if block:
            if line == ")":
                block = False
            elif line:
                out.append(line)
        elif re.match(rf"^{verb}\s*\($", line):
            block = True
        elif re.match(rf"^{verb}\s+", line):
            out.append(line[len(verb) :].strip())
    return [o.replace('"', "").replace("`", "") for o in out]


def _go_local(path: str) -> bool:
    return path in (".", "..") or path.startswith(("./", "../", "/", ".\\", "..\\"))


def detect_go(context: BuildContext, directory: str) -> Manifests | None:
    c = Collector(context, directory, "go")
    gomod, gowork = c.path("go.mod"), c.path("go.work")
    if not c.has(gomod) and not c.has(gowork):
        return None
    for manifest, lock in ((gomod, c.path("go.sum")), (gowork, c.path("go.work.sum"))):
        if not c.has(manifest):
            continue
        c.add(manifest)
        if c.add(lock) and c.result.lockfile is None:
            c.result.lockfile = lock
        for body in _go_directives(c.text(manifest) or "", "replace"):
            target = (
                body.split("=>", 1)[1].split()[0] if "=>" in body and body.split("=>", 1)[1].split() else ""
            )
            if _go_local(target):
                c.reason(f"{manifest}: replace points at local directory {target}")
    if c.has(gowork):
        uses = [u.split()[0] for u in _go_directives(c.text(gowork) or "", "use") if u.split()]
        c.result.workspaces = uses
        complete = True
        for use in uses:
            member = join(c.directory, use)
            if member == c.directory:
                continue
            complete = c.add(join(member, "go.mod")) and complete
            c.add(join(member, "go.sum"))
        c.result.workspaces_complete = complete
    if c.has(c.path("vendor/modules.txt")):
        c.result.details["vendored"] = True
        c.reason("modules are vendored: the build reads vendor/, not the module cache")
    return c.result


# -- maven ---------------------------------------------------------------------------------------


def detect_maven(context: BuildContext, directory: str) -> Manifests | None:
    c = Collector(context, directory, "maven")
    pom = c.path("pom.xml")
    if not c.has(pom):
        return None
    c.add(c.path("mvnw"))
    c.add_tree(c.path(".mvn"))
    complete = _maven_pom(c, pom, set(), root=True)
    c.result.workspaces_complete = complete
    return c.result


def _maven_pom(c: Collector, pom: str, seen: set[str], root: bool = False) -> bool:
    if pom in seen:
        return True
    seen.add(pom)
    if not c.has(pom):
        c.reason(f"module pom {pom} is not in the context")
        return False
    sent = c.add(pom)
    text = c.text(pom)
    if text is None:
        return sent
    from xml.etree import ElementTree

    try:
        tree = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        c.reason(f"{pom} is not well-formed XML")
        return False
    base = _parent(pom)
    modules: list[str] = []
    for element in tree.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "modules":
            modules += [(m.text or "").strip() for m in element if m.tag.rsplit("}", 1)[-1] == "module"]
        elif tag == "parent":
            for child in element:
                if child.tag.rsplit("}", 1)[-1] == "relativePath" and (child.text or "").strip():
                    assert child.text is not None  # non-empty: checked just above
                    target = join(base, child.text.strip())
                    c.add(target if target.endswith(".xml") else join(target, "pom.xml"))
    if root:
        c.result.workspaces = [m for m in modules if m]
    for module in filter(None, modules):
        target = join(base, module)
        sent = _maven_pom(c, target if target.endswith(".xml") else join(target, "pom.xml"), seen) and sent
    return sent


# -- gradle --------------------------------------------------------------------------------------

_GRADLE_BUILD = ("build.gradle", "build.gradle.kts")
_GRADLE_SETTINGS = ("settings.gradle", "settings.gradle.kts")


def detect_gradle(context: BuildContext, directory: str) -> Manifests | None:
    c = Collector(context, directory, "gradle")
    if not any(c.has(c.path(n)) for n in _GRADLE_BUILD + _GRADLE_SETTINGS):
        return None
    for name in _GRADLE_SETTINGS + _GRADLE_BUILD + ("gradle.properties", "gradlew"):
        c.add(c.path(name))
    c.add_tree(c.path("gradle/wrapper"))
    for name in c.names(c.path("gradle")):
        if name.endswith(".versions.toml"):
            c.add(c.path(f"gradle/{name}"))
    settings = "".join(c.text(c.path(n)) or "" for n in _GRADLE_SETTINGS)
    projects: list[str] = []
    for statement in re.finditer(r"\binclude(Flat)?\b\s*\(?([^\n)]*)", settings):
        for name in re.findall(r"""["']([^"']+)["']""", statement.group(2)):
            projects.append(name.lstrip(":").replace(":", "/"))
    if re.search(r"\bincludeBuild\b", settings):
        c.reason("settings include another build (includeBuild): its sources are compiled first")
    if re.search(r"\bprojectDir\s*=", settings):
        c.reason("settings move project directories (projectDir =): member locations are uncertain")
    complete = True
    c.result.workspaces = projects
    for project in projects:
        base = join(c.directory, project)
        for name in (*_GRADLE_BUILD, "gradle.properties"):
            rel = join(base, name)
            if c.has(rel):
                complete = c.add(rel) and complete
    c.result.workspaces_complete = complete
    if c.context.is_dir(c.path("buildSrc")):
        c.reason("buildSrc/ is compiled before dependencies are resolved")
    for rel in list(c.result.files):
        if rel.endswith((".gradle", ".gradle.kts")) and re.search(
            r"\bapply\s*\(?\s*from\s*[:=]", c.text(rel) or ""
        ):
            c.reason(f"{rel} applies another script (apply from:)")
    return c.result


# -- cargo ---------------------------------------------------------------------------------------

_CARGO_DEPS = ("dependencies", "dev-dependencies", "build-dependencies")


def detect_cargo(context: BuildContext, directory: str) -> Manifests | None:
    c = Collector(context, directory, "cargo")
    manifest = c.path("Cargo.toml")
    if not c.has(manifest):
        return None
    c.add(manifest)
    lock = c.path("Cargo.lock")
    if c.add(lock):
        c.result.lockfile = lock
    for name in (".cargo/config.toml", ".cargo/config", "rust-toolchain.toml", "rust-toolchain"):
        c.add(c.path(name))
    data = c.toml(manifest) or {}
    members: list[str] = []
    workspace = data.get("workspace")
    if isinstance(workspace, dict):
        globs = [m for m in workspace.get("members", []) if isinstance(m, str)]
        skip = ["!" + e for e in workspace.get("exclude", []) if isinstance(e, str)]
        c.result.workspaces = globs
        dirs, complete = expand_dir_globs(context, c.directory, globs + skip)
        for member in dirs:
            rel = join(member, "Cargo.toml")
            if c.has(rel):
                members.append(member)
                complete = c.add(rel) and complete
        c.result.workspaces_complete = complete
        _cargo_paths(c, manifest, workspace, members)
    _cargo_paths(c, manifest, data, members)
    for member in members:
        _cargo_paths(c, join(member, "Cargo.toml"), c.toml(join(member, "Cargo.toml")) or {}, members)
    c.reason("cargo needs crate sources (src/main.rs or src/lib.rs) even to build only dependencies")
    for base in [c.directory, *members]:
        if c.has(join(base, "build.rs")):
            c.reason(f"{join(base, 'build.rs')} is a build script compiled and run with the crate")
    return c.result


def _cargo_paths(c: Collector, rel: str, table: dict, members: list[str]) -> None:
    base = _parent(rel)
    tables = [table.get(name) for name in _CARGO_DEPS]
    targets = table.get("target")
    if isinstance(targets, dict):
        tables += [t.get(n) for t in targets.values() if isinstance(t, dict) for n in _CARGO_DEPS]
    for deps in tables:
        if not isinstance(deps, dict):
            continue
        for name, spec in deps.items():
            if isinstance(spec, dict) and isinstance(spec.get("path"), str):
                target = join(base, spec["path"])
                if target not in members:
                    c.reason(f"{rel}: dependency {name!r} is a local path ({spec['path']})")


# -- dotnet --------------------------------------------------------------------------------------

_PROJECT = (".csproj", ".fsproj", ".vbproj")
_UPWARD = ("directory.build.props", "directory.build.targets", "directory.packages.props", "global.json")


def detect_dotnet(context: BuildContext, directory: str) -> Manifests | None:
    c = Collector(context, directory, "dotnet")
    names = c.names()
    projects = [c.path(n) for n in names if n.lower().endswith(_PROJECT) and c.has(c.path(n))]
    solutions = [c.path(n) for n in names if n.lower().endswith((".sln", ".slnx")) and c.has(c.path(n))]
    if not projects and not solutions:
        return None
    complete = True
    for solution in solutions:
        c.add(solution)
        text = c.text(solution) or ""
        listed = re.findall(r'^Project\([^)]*\)\s*=\s*"[^"]*",\s*"([^"]+)"', text, re.MULTILINE)
        listed += re.findall(r'<Project\s+Path="([^"]+)"', text)
        for item in listed:
            if item.lower().endswith(_PROJECT):
                rel = clean(join(_parent(solution), item.replace("\\", "/")))
                if c.has(rel):
                    projects.append(rel)
                else:
                    complete = False
                    c.reason(f"{solution} lists {item}, which is not in the context")
    seen: set[str] = set()
    for project in projects:
        complete = _dotnet_project(c, project, seen) and complete
    c.result.workspaces = sorted(seen)
    c.result.workspaces_complete = complete
    for project in sorted(seen):
        _upward(c, _parent(project))
    return c.result


def _dotnet_project(c: Collector, rel: str, seen: set[str]) -> bool:
    if rel in seen:
        return True
    seen.add(rel)
    if not c.has(rel):
        c.reason(f"project reference {rel} is not in the context")
        return False
    sent = c.add(rel)
    c.add(join(_parent(rel), "packages.lock.json"))
    for ref in re.findall(r'<ProjectReference\s+Include="([^"]+)"', c.text(rel) or ""):
        target = clean(join(_parent(rel), ref.replace("\\", "/")))
        sent = _dotnet_project(c, target, seen) and sent
    return sent


def _upward(c: Collector, directory: str) -> None:
    """MSBuild/NuGet files found walking up from a project directory to the context root."""
    found: set[str] = set()
    while True:
        for name in c.names(directory):
            lowered = name.lower()
            if lowered == "nuget.config" or (lowered in _UPWARD and lowered not in found):
                found.add(lowered)
                c.add(join(directory, name))
        if directory == ".":
            return
        directory = _parent(directory)
