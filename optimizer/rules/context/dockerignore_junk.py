"""DO602 dockerignore-junk: keep what the build does not read out of the context and the image.

## What it does
Finds, in the build context, things a ``COPY``/``ADD`` of a directory would copy although the
build does not read them, and adds them to the ``.dockerignore`` the build reads (or creates one):

- version control: ``.git`` (unless a RUN uses git or another instruction reads it), ``.hg``,
  ``.svn``, ``.bzr``;
- dependencies the image installs itself: ``node_modules`` when a RUN installs node packages;
- Python leftovers: ``__pycache__`` folders, ``*.pyc`` files, virtualenvs (folders holding a
  ``pyvenv.cfg``), ``.tox``, ``.nox``, ``.pytest_cache``, ``.mypy_cache``, ``.ruff_cache``;
- build outputs the image builds again: ``dist/``, ``build/``, ``target/`` beside the manifest of
  a tool that a RUN after the COPY runs (npm/yarn/pnpm scripts, Python builds, Maven, Gradle, Cargo);
- logs (``*.log``, ``npm-debug.log*``), editor and OS files (``.idea``, ``.vscode``,
  ``.DS_Store``, ``Thumbs.db``, ``*.swp``);
- the Dockerfile and the ignore file themselves, when nothing in the image uses them.

Only things that exist in the context and that some COPY of a directory actually takes are
proposed — no generic list. One pattern covers a group (``**/__pycache__``) when it excludes
nothing else; otherwise each path is listed.

## Why
A ``COPY . .`` ships all of this into a layer: bigger images, the whole git history (and any
credential in it) for anyone who pulls the image. Worse for the cache: a commit changes ``.git``,
a test run rewrites ``__pycache__`` and logs, and every step after the COPY runs again. Ignored
files are not even sent to the builder, so the build starts faster too.

## Example
A Python context with ``.git``, ``.venv`` and ``app/__pycache__``:
```dockerfile
COPY . /app
RUN pip install --no-cache-dir -r /app/requirements.txt
```
The Dockerfile stays; ``.dockerignore`` gets:
```
# added by dockopt (DO602): files the build does not read (see `dockopt explain DO602`)
.git
.venv
**/__pycache__
```

## Fix safety
- **Safe** when the paths are provably unused by every instruction: no COPY names them (globs
  included), no ``RUN --mount=type=bind`` of the context covers them, no later instruction names
  them, and no later RUN may read them (the file-effects model; a program dockopt cannot see into
  makes it unsafe). ``node_modules`` is safe when the install after the COPY is ``npm ci`` (which
  deletes the folder first).
- **Unsafe** with the reason when a later RUN might read them: a program dockopt has no model of;
  ``go build``, a local ``pip install``, Maven or Gradle after a COPY of ``.git`` (they may stamp
  the version from it); a build output the build may reuse incrementally; a ``node_modules`` or
  virtualenv that an install merges with, or that the COPY lays over the installed one.
- **Not proposed** when an instruction uses the path: a RUN runs git (``.git``), a COPY names it,
  an instruction mentions it, or the image installs no node packages (``node_modules`` is the
  app's); and never a pattern that an existing ``!`` exception re-includes.

## References
- Docker docs, .dockerignore files: https://docs.docker.com/build/concepts/context/#dockerignore-files
- Docker docs, build best practices ("Exclude with .dockerignore"):
  https://docs.docker.com/build/building/best-practices/#exclude-with-dockerignore
- moby/patternmatcher (the pattern semantics): https://github.com/moby/patternmatcher
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field

from ...shell.managers import invocations
from ..base import Applicability, Facts, Finding, Phase, Rule, register
from ..triggers import has_instruction
from ._context import BUILD_CACHES, ContextView, Shipment, Verdict, choose, display

_VCS = {".git": "git", ".hg": "hg", ".svn": "svn", ".bzr": "bzr"}
_PY_CACHES = (".tox", ".nox", ".pytest_cache", ".mypy_cache", ".ruff_cache")
_EDITOR_DIRS = (".idea", ".vscode")
_EDITOR_FILES = (".DS_Store", "Thumbs.db")
# Build outputs: folder -> (manifests beside it, what builds it: (family, subcommands) pairs)
_OUTPUTS = {
    "dist": (("package.json", "pyproject.toml", "setup.py"), (("node", ("run",)), ("pip", ("wheel",)))),
    "build": (
        ("package.json", "build.gradle", "build.gradle.kts", "setup.py", "pyproject.toml"),
        (("node", ("run",)), ("gradle", ("build", "assemble", "installDist", "bootJar", "jar"))),
    ),
    "target": (("pom.xml", "Cargo.toml"), (("maven", ()), ("rust", ("build", "install")))),
}


@dataclass
class Junk:
    """A group of paths of one kind (one finding)."""

    what: str  # "the git repository", "`__pycache__` folders"
    paths: list[str]
    is_dir: bool
    group: str | None = None  # one pattern for all, when it excludes nothing else
    kind: str = "plain"  # plain / vcs / node / venv / output / builder-file
    extra: dict[str, object] = field(default_factory=dict)


def _group(name: str, paths: list[str]) -> str:
    return name if all("/" not in p for p in paths) else f"**/{name}"


def find_junk(view: ContextView) -> list[Junk]:
    entries = view.entries
    found: list[Junk] = []
    groups: dict[str, list[str]] = {}
    taken: list[str] = []  # directories claimed: nothing below them is looked at again

    def claim(path: str) -> None:
        taken.append(path + "/")

    for path, is_dir in entries.items():
        if any(path.startswith(t) for t in taken):
            continue
        name = posixpath.basename(path)
        parent = posixpath.dirname(path)
        if name in _VCS and (is_dir or name == ".git"):
            found.append(
                Junk(f"the {_VCS[name]} repository", [path], is_dir, kind="vcs", extra={"tool": _VCS[name]})
            )
            claim(path)
        elif is_dir and name == "node_modules":
            found.append(Junk("installed node packages", [path], True, kind="node"))
            claim(path)
        elif is_dir and (f"{path}/pyvenv.cfg" in entries):
            found.append(Junk("a Python virtualenv", [path], True, kind="venv"))
            claim(path)
        elif is_dir and name in _PY_CACHES + _EDITOR_DIRS:
            what = "editor settings" if name in _EDITOR_DIRS else "a Python tool cache"
            found.append(Junk(what, [path], True))
            claim(path)
        elif is_dir and name == "__pycache__":
            groups.setdefault("__pycache__", []).append(path)
            claim(path)
        elif is_dir and name in _OUTPUTS:
            manifests, _ = _OUTPUTS[name]
            beside = [m for m in manifests if (f"{parent}/{m}" if parent else m) in entries]
            if beside:
                found.append(Junk("a build output", [path], True, kind="output", extra={"manifests": beside}))
                claim(path)
        elif not is_dir:
            lower = name.lower()
            if lower.endswith((".pyc", ".pyo")):
                groups.setdefault("*.pyc" if lower.endswith(".pyc") else "*.pyo", []).append(path)
            elif lower.startswith("npm-debug.log"):
                groups.setdefault("npm-debug.log*", []).append(path)
            elif lower.endswith(".log"):
                groups.setdefault("*.log", []).append(path)
            elif name in _EDITOR_FILES:
                groups.setdefault(name, []).append(path)
            elif lower.endswith((".swp", ".swo")) and name.startswith("."):
                groups.setdefault("*" + lower[-4:], []).append(path)
    labels = {
        "__pycache__": ("`__pycache__` folders", True),
        "*.pyc": ("compiled Python files", False),
        "*.pyo": ("compiled Python files", False),
        "npm-debug.log*": ("npm debug logs", False),
        "*.log": ("log files", False),
        ".DS_Store": ("macOS folder metadata", False),
        "Thumbs.db": ("Windows thumbnail caches", False),
        "*.swp": ("editor swap files", False),
        "*.swo": ("editor swap files", False),
    }
    for name, paths in groups.items():
        what, is_dir = labels[name]
        found.append(Junk(what, paths, is_dir, group=_group(name, paths)))
    for own, label in ((view.dockerfile_entry(), "the Dockerfile"), (view.ignore_entry(), "the ignore file")):
        if own is not None and own in entries:
            found.append(Junk(label, [own], False, kind="builder-file"))
    return found


@register
class DockerignoreJunk(Rule):
    code = "DO602"
    name = "dockerignore-junk"
    summary = (
        "Add .dockerignore entries for VCS folders, caches, logs, editor files and outputs the build remakes"
    )
    safety = Applicability.SAFE
    safety_note = "safe; unsafe when a later RUN may read the paths (the reason is given)"
    phase = Phase.CONTEXT
    trigger = has_instruction("COPY", "ADD")
    removes = (
        *(
            "/**/" + name
            for name in (
                ".git", ".hg", ".svn", ".bzr", "node_modules", "__pycache__", "*.pyc", "*.pyo", ".tox", ".nox",
                ".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv", "venv", "dist", "build", "target",
                "*.log", "npm-debug.log*", ".idea", ".vscode", ".DS_Store", "Thumbs.db", "*.swp", "*.swo",
                "Dockerfile", ".dockerignore", "*.dockerignore",
            )
        ),
        *BUILD_CACHES,
    )  # fmt: skip

    def check(self, ctx: Facts) -> Iterator[Finding]:
        view = ContextView.of(ctx)
        if view is None:
            return
        for junk in find_junk(view):
            finding = self._judge(view, junk)
            if finding is not None:
                yield finding

    def _judge(self, view: ContextView, junk: Junk) -> Finding | None:
        ships = [s for s in (view.shipped(p) for p in junk.paths) if s is not None]
        if not ships:
            return None
        verdict = Verdict()
        approved: list[str] = []
        for ship in ships:
            one = view.verdict(ship)
            one.add(self._knowledge(view, junk, ship))
            if one.used:
                continue  # this one is read: leave it (and say nothing about it)
            verdict.add(one)
            approved.append(ship.path)
        if not approved:
            return None
        first = next(s for s in ships if s.path == approved[0])
        lines = view.patterns_for(approved, junk.group)
        shown = display(approved[0], junk.is_dir)
        verb = "is"
        if len(approved) > 1:
            shown, verb = f"{len(approved)} {junk.what} ({shown}, …)", "are"
        else:
            shown = f"{shown} ({junk.what})"
        where = f"{first.copy.keyword} at line {first.copy.instruction.line}"
        if not lines:
            message = f"{shown} {verb} copied by the {where}; an exception in {view.where()} keeps it, so no entry is added"
            return view.finding(self, first, message, [], Applicability.DISPLAY_ONLY)
        add = f"add {', '.join(lines)} to {view.where()}"
        if verdict.doubt:
            message = (
                f"{shown} {verb} copied by the {where}: {add}, unless the build needs it ({verdict.doubt[0]})"
            )
        else:
            message = f"{shown} {verb} copied by the {where} and nothing in the build reads it: {add}"
        return view.finding(self, first, message, lines, choose(verdict, Applicability.SAFE))

    def _knowledge(self, view: ContextView, junk: Junk, ship: Shipment) -> Verdict:
        """What the tools are known to read, beyond the file-effects model."""
        verdict = Verdict()
        name = posixpath.basename(ship.path)
        if junk.kind == "vcs":
            tool = str(junk.extra["tool"])
            user = view.tool_run(ship, commands=(tool,))
            if user is not None:
                verdict.used = f"the RUN at line {user.line} runs {tool}"
            stamper = view.stamper(ship) if tool == "git" else None
            if stamper is not None:
                verdict.doubt.append(stamper)
        elif junk.kind == "node":
            install = view.installs(ship, "node", ("install", "ci", "add"))
            if install is None:
                verdict.used = "the image installs no node packages: it uses these"
                return verdict
            later = install in view.later(ship)
            script = view.ctx.script(install)
            clean = script is not None and any(
                i.manager == "npm" and i.subcommand == "ci" for i in invocations(script)
            )
            if not later:
                verdict.doubt.append(
                    f"the {ship.copy.keyword} at line {ship.copy.instruction.line} lays it over the packages "
                    f"the RUN at line {install.line} installed; ignored, the image keeps the installed ones"
                )
            elif not clean:
                verdict.doubt.append(f"the install at line {install.line} merges with the copied folder")
        elif junk.kind == "venv":
            creator = view.tool_run(ship, commands=("virtualenv",))
            mention = view.mentions(ship, name)
            if mention is not None and creator is None and "venv" not in mention.text:
                verdict.used = f"the {mention.name} at line {mention.line} names it"
            elif mention is not None:
                verdict.doubt.append(f"the {mention.name} at line {mention.line} names it")
        elif junk.kind == "output":
            builder = self._builder(view, ship, name)
            if builder is None:
                verdict.used = "no RUN after the COPY builds it again: the image may need it"
            else:
                verdict.doubt.append(
                    f"the RUN at line {builder.line} builds it again and may reuse the copied one"
                )
        else:
            if "*" not in name:
                mention = view.mentions(ship, name)
                if mention is not None:
                    verdict.used = f"the {mention.name} at line {mention.line} names it"
        return verdict

    @staticmethod
    def _builder(view: ContextView, ship: Shipment, name: str):
        _, builders = _OUTPUTS[name]
        for item in view.later_runs(ship):
            script = view.ctx.script(item)
            if script is None:
                continue
            for invocation in invocations(script):
                for family, subs in builders:
                    if invocation.family == family and (not subs or invocation.subcommand in subs):
                        return item
            names = {(c.name or "").rsplit("/", 1)[-1] for c in script.commands}
            if name in ("dist", "build") and ({"python", "python3"} & names):
                text = item.text
                if "-m build" in text or "setup.py" in text:
                    return item
        return None
