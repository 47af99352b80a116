"""Which context files an install step needs before the source arrives, or why it needs the source.

The analysis package finds manifests per ecosystem in a context directory; this module maps an
install step's image paths back into the context through the full copy (``COPY backend/ /srv/``
puts ``backend/requirements.txt`` at ``/srv/requirements.txt``), and turns what the manifests say
into one of three answers: the files to copy first (safe), the same with a reason it is unsafe
(lifecycle scripts, a lockfile the install may rewrite), or a reason to leave the copy alone.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from ...analysis._detect import Collector
from ...analysis.context import BuildContext, normalize_source
from ...analysis.eco_python import requirement_includes
from ...analysis.manifests import detect_manifests
from ._plan import FullCopy
from ._steps import InstallStep

_PRIMARY = {
    "npm": ("package.json",),
    "poetry": ("pyproject.toml",),
    "pipenv": ("Pipfile",),
    "uv": ("pyproject.toml",),
    "go": ("go.mod", "go.work"),
    "maven": ("pom.xml",),
    "bundler": ("Gemfile", "gems.rb"),
    "composer": ("composer.json",),
    "gradle": ("build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts"),
}
_DOTNET = (".csproj", ".fsproj", ".vbproj", ".sln", ".slnx")
_NO_MEMBERS = frozenset({"npm", "uv", "go", "cargo"})  # workspaces there: leave alone
# Variables that point an installer at other files than the ones next to it.
_REDIRECTS = {
    "npm": ("NPM_CONFIG_USERCONFIG", "npm_config_userconfig", "NPM_CONFIG_GLOBALCONFIG"),
    "bundler": ("BUNDLE_GEMFILE", "BUNDLE_APP_CONFIG"),
    "composer": ("COMPOSER",),
    "pipenv": ("PIPENV_PIPFILE",),
    "go": ("GOFLAGS", "GOWORK"),
    "uv": ("UV_PROJECT",),
    "poetry": ("POETRY_PROJECT",),
    "pip": ("PIP_REQUIREMENT", "PIP_CONSTRAINT", "PIP_FIND_LINKS"),
}
_FROZEN = {"bundler": ("BUNDLE_FROZEN", "BUNDLE_DEPLOYMENT")}
_LOCKFILE_NOTE = {
    "npm": "use `npm ci` or --frozen-lockfile/--immutable",
    "bundler": "use --frozen or BUNDLE_FROZEN=true",
    "pipenv": "use --deploy or `pipenv sync`",
    "uv": "use --locked or --frozen",
}


@dataclass
class Needs:
    """The answer for one install step."""

    files: list[str] = field(default_factory=list)  # context paths to copy first, in order
    unsafe: list[str] = field(default_factory=list)  # why copying only these may change the image
    decline: str | None = None  # why the copy must stay where it is
    show: bool = True  # whether the decline is worth a diagnostic (a missing manifest is not)
    details: dict = field(default_factory=dict)


def _redirects(name: str, value: str | None) -> bool:
    """Does this variable's value point the installer at other files? (GOFLAGS only through
    ``-modfile``/``-mod=vendor``; GOWORK unless ``off``.)"""
    if not value:
        return False
    if name == "GOFLAGS":
        return "-modfile" in value or "-mod=vendor" in value
    return not (name == "GOWORK" and value == "off")


def to_context(copy: FullCopy, image_path: str) -> str | None:
    """The context path a full copy puts at ``image_path``; None when it does not come from the copy."""
    if image_path == copy.dest:
        return copy.source
    if image_path.startswith(copy.dest + "/"):
        return normalize_source(f"{copy.source}/{image_path[len(copy.dest) + 1 :]}")
    return None


def _within(copy: FullCopy, rel: str) -> bool:
    return copy.source == "." or rel == copy.source or rel.startswith(copy.source + "/")


def needs(context: BuildContext, copy: FullCopy, step: InstallStep, env: dict[str, str | None]) -> Needs:
    """What ``step`` reads from the copied tree, checked against the context."""
    redirected = [name for name in _REDIRECTS.get(step.ecosystem, ()) if _redirects(name, env.get(name))]
    if redirected:
        return Needs(decline=f"{redirected[0]} is set: {step.shown} may read files elsewhere")
    if step.ecosystem == "pip":
        return _pip(context, copy, step)
    if step.directory is None:
        return Needs(decline=f"{step.shown}: working directory not known")
    folder = to_context(copy, step.directory)
    if folder is None:
        return Needs(decline=f"{step.shown} runs outside the copied directory", show=False)
    found = detect_manifests(context, folder, [step.ecosystem])
    if not found:
        return Needs(decline=f"no {step.ecosystem} manifest in {folder}/ of the context", show=False)
    manifests = found[0]
    result = Needs(details={"folder": folder, "lockfile": manifests.lockfile})
    primary = _primary(step.ecosystem, manifests.files)
    if primary is None:
        excluded = [
            p for p in manifests.excluded if posixpath.basename(p) in _PRIMARY.get(step.ecosystem, ())
        ]
        why = f"{excluded[0]} is excluded by .dockerignore" if excluded else "its manifest is not sent"
        return Needs(decline=f"{step.shown}: {why}", show=False)
    for reason in manifests.needs_source:
        if _tolerated(step, reason, result):
            continue
        return Needs(decline=f"{step.shown} needs more than manifests: {reason}")
    if manifests.workspaces and step.ecosystem in _NO_MEMBERS:
        return Needs(
            decline=f"{folder}/ is a workspace ({', '.join(manifests.workspaces[:3])}): "
            "every member's manifest would have to be copied"
        )
    if not manifests.workspaces_complete:
        return Needs(decline=f"{step.shown}: not every module's build file is in the context")
    result.files = [f for f in manifests.files if _within(copy, f)]
    for image_path in [*step.files, *([step.program] if step.program else [])]:
        rel = to_context(copy, image_path)
        if rel is None:
            continue
        if not context.is_sent(rel):
            return Needs(decline=f"{step.shown} reads {rel}, which the context does not send", show=False)
        if rel not in result.files:
            result.files.append(rel)
    problem = _outputs(context, step, folder, result.files)
    if problem:
        return Needs(decline=problem)
    if step.rewrites_lock and manifests.lockfile and not _frozen(step, env):
        lock = posixpath.basename(manifests.lockfile)
        note = _LOCKFILE_NOTE.get(step.ecosystem, "")
        result.unsafe.append(
            f"{step.shown} may rewrite {lock}, and the source copy after it would put the "
            f"context's {lock} back" + (f" ({note})" if note else "")
        )
    return _project_itself(context, step, folder, result)


def _primary(ecosystem: str, files: list[str]) -> str | None:
    names = _PRIMARY.get(ecosystem)
    for rel in files:
        base = posixpath.basename(rel)
        if (names and base in names) or (ecosystem == "dotnet" and base.lower().endswith(_DOTNET)):
            return rel
    return None


def _tolerated(step: InstallStep, reason: str, result: Needs) -> bool:
    """Manifest findings a flag makes harmless, or that make the fix unsafe rather than wrong."""
    if step.ecosystem == "npm" and "script during install" in reason:
        if not step.ignore_scripts:
            result.unsafe.append(f"{reason.split(': ', 1)[0]} — it may read files not copied yet")
        return True
    if step.ecosystem == "composer" and "(use --no-scripts)" in reason:
        return "no-scripts" in step.flags
    if step.ecosystem == "composer" and "autoload classmap" in reason:
        return "no-autoloader" in step.flags
    return False


def _outputs(context: BuildContext, step: InstallStep, folder: str, files: list[str]) -> str | None:
    """The copy after the install must not bring what the install wrote (a local node_modules)."""
    folders = [folder]
    if step.ecosystem == "dotnet":
        folders = sorted({posixpath.dirname(f) or "." for f in files if f.lower().endswith(_DOTNET[:3])}) or [
            folder
        ]
    for base in folders:
        for output in step.outputs:
            rel = normalize_source(f"{base}/{output}")
            if context.is_sent(rel):
                return (
                    f"the context sends {rel} (not in .dockerignore): the source copy after "
                    f"{step.shown} would land on top of what it installed"
                )
    return None


def _frozen(step: InstallStep, env: dict[str, str | None]) -> bool:
    return any(
        (env.get(name) or "").lower() in ("true", "1", "yes") for name in _FROZEN.get(step.ecosystem, ())
    )


def _project_itself(context: BuildContext, step: InstallStep, folder: str, result: Needs) -> Needs:
    """poetry/uv install the project too unless told not to (or the project is not a package)."""
    import tomllib

    if step.ecosystem not in ("poetry", "uv", "composer"):
        return result
    if step.ecosystem == "composer":
        if not {"no-scripts", "no-autoloader"} <= step.flags:
            return Needs(
                decline=f"{step.shown} without --no-scripts --no-autoloader dumps the autoloader and "
                "runs scripts, which read the source"
            )
        return result
    if {"no-root", "no-install-project"} & step.flags:
        return result
    text = context.read_text(normalize_source(f"{folder}/pyproject.toml")) or ""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        data = {}
    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    if step.ecosystem == "poetry":
        poetry = tool.get("poetry", {}) if isinstance(tool.get("poetry"), dict) else {}
        if poetry.get("package-mode") is False:
            return result
        return Needs(
            decline="poetry install without --no-root installs the project itself, which needs the source"
        )
    uv = tool.get("uv", {}) if isinstance(tool.get("uv"), dict) else {}
    if uv.get("package") is False or ("build-system" not in data and uv.get("package") is not True):
        return result  # a virtual project: uv installs only its dependencies
    return Needs(
        decline="uv sync without --no-install-project installs the project itself, which needs the source"
    )


def _pip(context: BuildContext, copy: FullCopy, step: InstallStep) -> Needs:
    roots: list[str] = []
    for image_path in step.files:
        rel = to_context(copy, image_path)
        if rel is None:
            return Needs(
                decline=f"{step.shown} reads {image_path}, which another instruction provides", show=False
            )
        roots.append(rel)
    collector = Collector(context, posixpath.dirname(roots[0]) or ".", "pip")
    seen: set[str] = set()
    for rel in roots:
        if not collector.has(rel):
            return Needs(decline=f"{step.shown}: {rel} is not in the context", show=False)
        if not context.is_sent(rel):
            return Needs(decline=f"{step.shown}: {rel} is excluded by .dockerignore", show=False)
        requirement_includes(collector, rel, seen)
    found = collector.result
    if found.needs_source:
        return Needs(decline=f"{step.shown} needs more than requirement files: {found.needs_source[0]}")
    outside = [f for f in found.files if not _within(copy, f)]
    if outside:
        return Needs(decline=f"{step.shown} includes {outside[0]}, which the copy does not bring")
    if step.program and step.program.startswith(copy.dest + "/"):
        venv = to_context(copy, posixpath.dirname(posixpath.dirname(step.program)))
        if venv and venv != copy.source and context.is_sent(venv):
            return Needs(decline=f"the context sends {venv}/, the environment {step.shown} installs into")
    return Needs(files=list(found.files))
