"""What the build-context rules (DO6xx) share: what the COPYs ship, who reads it, and the ignore file.

Both rules ask the same questions about a path of the build context:

- *is it shipped?* Some COPY/ADD of the context takes a directory that holds it (``COPY . .``,
  ``COPY src/ /app``), so it lands in an image layer and its changes bust the cache of every step
  after that COPY. A path a COPY names itself (``COPY .env.production .``, a glob matching it) is
  wanted on purpose and never flagged; a COPY whose source has an unknown variable may name it.
- *who reads it?* Where it lands in the image is known from the COPY's destination, so the
  file-effects model (``analysis/effects.py``) finds the first later instruction that may read it:
  a certain reader (``cat``, ``cp``, a ``COPY --from`` of that path) means the file is used, an
  unknown program (``./build.sh``) means it *may* be. A ``RUN --mount=type=bind`` of the context
  over it reads it too. The rules add what the model does not know: which tools read which files
  (git reads ``.git``, npm reads ``.npmrc``, ``go build`` stamps the VCS state of ``.git``).
- *which ignore file?* The one BuildKit would read (``<Dockerfile>.dockerignore`` beside the
  Dockerfile, else ``<context>/.dockerignore``), extended at its end; when there is none, a new
  ``.dockerignore`` at the context root for a Dockerfile named ``Dockerfile`` there, otherwise a
  ``<name>.dockerignore`` beside the Dockerfile (only that build reads it, so a context shared by
  several Dockerfiles is not changed for the others).

A pattern is proposed only when it is sound against the ignore file as it is: it excludes nothing
but the paths the rule vouches for, and no existing ``!`` exception brings back anything it would
exclude (a later exclusion line wins over an earlier exception, so appending it would silently
undo the user's exception).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ...analysis.context import BuildContext, CopySources, resolve_copy_sources
from ...analysis.dockerignore import IgnoreFileError, IgnoreMatcher, IgnorePattern, ignore_candidates
from ...analysis.effects import Effects
from ...analysis.facts import Facts
from ...core.findings import Applicability, FileEdit, Finding, Fix
from ...shell.managers import invocations
from ...syntax import Instruction

# Go's build cache keeps a listing of each package directory it compiles: a file left out of the
# directory changes one cache entry (never the program). Measured on bench/apps/go-stdlib: ignoring
# the Dockerfile replaced one action and its output under /root/.cache/go-build.
BUILD_CACHES = ("/**/.cache/go-build/**",)

# Tools that may read .git to stamp a version: family -> subcommands (empty: any).
_VCS_STAMPERS = {"go": ("build", "install", "run", "test", "generate", "vet"), "maven": (), "gradle": ()}
_GLOB_CHARS = re.compile(r"([*?\[\]\\])")
# Instructions whose text can name a file the image uses (a RUN reads it, a CMD runs it, an ENV
# points at it).
_READING_KEYWORDS = frozenset({"RUN", "CMD", "ENTRYPOINT", "ENV", "WORKDIR", "VOLUME", "HEALTHCHECK"})


@dataclass(frozen=True)
class Shipment:
    """A context path a COPY/ADD takes as part of a directory, and where it lands."""

    path: str
    copy: CopySources
    image_path: str | None  # absolute, None when the destination is unknown


@dataclass
class Verdict:
    """How sure the rule is that no instruction needs a path: ``used`` wins, then ``doubt``."""

    used: str | None = None  # a certain reader: the path is needed (reason)
    doubt: list[str] = field(default_factory=list)  # reasons it may be read (then the fix is unsafe)

    def add(self, other: Verdict) -> None:
        self.used = self.used or other.used
        self.doubt += [reason for reason in other.doubt if reason not in self.doubt]


def literal(path: str) -> str:
    """A .dockerignore line that matches exactly ``path`` (wildcards and a leading ``#``/``!`` escaped)."""
    escaped = _GLOB_CHARS.sub(r"\\\1", path)
    return "\\" + escaped if escaped[:1] in ("#", "!") else escaped


class ContextView:
    """The DO6xx rules' view of one round: built once per round, shared by the family."""

    def __init__(self, ctx: Facts, context: BuildContext) -> None:
        self.ctx = ctx
        self.context = context
        self.effects = Effects.of(ctx)
        self.copies: list[tuple[CopySources, list[str] | None]] = []
        for instruction in ctx.tree.instructions:
            if instruction.stage is None or instruction.sub is not None:
                continue  # ONBUILD copies read a child build's context, not this one
            resolved = resolve_copy_sources(instruction, ctx.scopes.get(instruction))
            if resolved is not None:
                try:
                    matched = resolved.matches(context)
                except Exception:  # noqa: BLE001 - a malformed glob: the build fails anyway
                    matched = None
                self.copies.append((resolved, matched))
        self.matcher = context.ignore
        self.entries = dict(context.entries())
        for path in ctx.session.files:  # an ignore file this run creates is sent like any file
            rel = context.inside(path)
            if rel and rel not in self.entries and not path.exists() and not self.matcher.excludes(rel):
                self.entries[rel] = False

    @classmethod
    def of(cls, ctx: Facts) -> ContextView | None:
        """The view, or None when there is no complete, readable build context to reason about."""

        def build() -> ContextView | None:
            context, _ = ctx.build_context()
            if context is None or ctx.path is None or not context.complete:
                return None
            return cls(ctx, context)

        return ctx.memo(cls, build)

    # -- the ignore file ---------------------------------------------------------------------------

    @property
    def target(self) -> Path:
        """The ignore file to extend or create (see the module docstring)."""
        if self.matcher.source is not None:
            return self.matcher.source
        assert self.ctx.path is not None
        own, shared = ignore_candidates(self.context.root, self.ctx.path)
        at_root = self.ctx.path.name == "Dockerfile" and self.context.inside(self.ctx.path.parent) == "."
        return shared if at_root else own

    def dockerfile_entry(self) -> str | None:
        """The Dockerfile's path inside the context (None when it lies outside)."""
        assert self.ctx.path is not None
        return self.context.inside(self.ctx.path)

    def ignore_entry(self) -> str | None:
        return self.context.inside(self.matcher.source) if self.matcher.source else None

    # -- what ships ------------------------------------------------------------------------------------

    def under(self, path: str) -> list[str]:
        """Sent entries at or below ``path``."""
        prefix = path + "/"
        return [p for p in self.entries if p == path or p.startswith(prefix)]

    def shipped(self, path: str) -> Shipment | None:
        """The first COPY/ADD that takes ``path`` as part of a directory it copies."""
        if path not in self.entries:
            return None
        for copy, matched in self.copies:
            for source in matched or ():
                if source == path or not (source == "." or path.startswith(source + "/")):
                    continue
                if not self.entries.get(source, source == "."):
                    continue  # a file source is named, not a directory holding the path
                rest = path if source == "." else path[len(source) + 1 :]
                if copy.exclude and _excluded_by(copy.exclude, rest):
                    continue
                image = None
                if copy.dest.text is not None:
                    image = posixpath.join(copy.dest.text, rest)
                return Shipment(path, copy, image)
        return None

    def named(self, path: str) -> tuple[Instruction | None, bool]:
        """A COPY that names ``path`` (or something inside it) itself: (instruction, certain)."""
        for copy, matched in self.copies:
            if matched is None:
                return copy.instruction, False
            for source in matched:
                if source == path or source.startswith(path + "/"):
                    return copy.instruction, True
        return None, False

    # -- who reads it -----------------------------------------------------------------------------------

    def verdict(self, ship: Shipment) -> Verdict:
        """Readers of the shipped path: the named COPYs, context bind mounts, the effects model."""
        verdict = Verdict()
        instruction, certain = self.named(ship.path)
        if instruction is not None:
            if certain:
                verdict.used = f"the {instruction.name} at line {instruction.line} copies it by name"
            else:
                verdict.doubt.append(
                    f"the {instruction.name} at line {instruction.line} has a source dockopt cannot resolve"
                )
        mount = self.bind_mount(ship.path)
        if mount is not None:
            verdict.doubt.append(f"the RUN at line {mount.line} mounts the build context")
        if ship.image_path is None:
            verdict.doubt.append(
                f"where the {ship.copy.keyword} at line {ship.copy.instruction.line} puts it is unknown"
            )
            return verdict
        if ship.path != ".git" and not ship.path.startswith(".git/") and self.shipped(".git") is not None:
            stamp = self.stamper(ship)
            if stamp is not None:  # the stamp records a dirty tree: every removed file changes it
                verdict.doubt.append(f"{stamp}, and its 'modified' flag changes with every file left out")
        reader = self.effects.reader(ship.copy.instruction, [ship.image_path])
        if reader is not None:
            if reader.certain and not _passes_through(reader.instruction, ship.image_path):
                verdict.used = reader.describe()
            else:  # a program dockopt cannot see into, or a later stage copying the folder holding it
                verdict.doubt.append(reader.describe())
        return verdict

    def stamper(self, ship: Shipment) -> str | None:
        """A later RUN that may stamp a version from ``.git`` (go build, Maven, Gradle, a local pip install)."""
        for item in self.later_runs(ship):
            script = self.ctx.script(item)
            if script is None:
                continue
            for invocation in invocations(script):
                subs = _VCS_STAMPERS.get(invocation.family)
                if subs is not None and (not subs or invocation.subcommand in subs):
                    return f"`{invocation.command.text.strip()[:30]}` at line {item.line} may stamp its version from .git"
                if invocation.family == "pip" and invocation.subcommand in ("install", "wheel"):
                    local = [w.value for w in invocation.args if w.value and w.value.startswith((".", "/"))]
                    if local or invocation.has("-e", "--editable"):
                        return f"the local pip install at line {item.line} may read its version from .git"
        return None

    def bind_mount(self, path: str) -> Instruction | None:
        """A RUN that bind-mounts the part of the build context holding ``path``."""
        for item in self.ctx.tree.instructions:
            target = item.sub or item
            if target.name != "RUN":
                continue
            for mount in target.flag_values("mount"):
                options = dict(part.partition("=")[::2] for part in mount.split(","))
                if options.get("type", "bind") != "bind" or "from" in options:
                    continue
                raw = options.get("source") or options.get("src") or "."
                source = posixpath.normpath("/" + raw.strip("\"'")).lstrip("/")
                if (
                    not source
                    or source == path
                    or path.startswith(source + "/")
                    or source.startswith(path + "/")
                ):
                    return item
        return None

    def later(self, ship: Shipment) -> list[Instruction]:
        """The instructions that run on top of the COPY (its stage's rest, stages built FROM it)."""
        return self.ctx.after(ship.copy.instruction)

    def later_runs(self, ship: Shipment) -> list[Instruction]:
        return [item for item in self.later(ship) if item.name == "RUN"]

    def mentions(self, ship: Shipment, word: str) -> Instruction | None:
        """A later instruction whose text names ``word`` (a file or directory name)."""
        pattern = re.compile(r"(?<![\w.-])" + re.escape(word) + r"(?![\w-])")
        for item in self.later(ship):
            if item.name in _READING_KEYWORDS and pattern.search(item.text):
                return item
        return None

    def tool_run(
        self, ship: Shipment, families: Iterable[str] = (), commands: Iterable[str] = ()
    ) -> Instruction | None:
        """A later RUN that invokes a package manager of ``families`` or one of ``commands``."""
        families, commands = set(families), set(commands)
        for item in self.later_runs(ship):
            script = self.ctx.script(item)
            if script is None:
                continue
            if commands and any((c.name or "").rsplit("/", 1)[-1] in commands for c in script.commands):
                return item
            if families and any(i.family in families for i in invocations(script)):
                return item
        return None

    def installs(self, ship: Shipment, family: str, subcommands: Iterable[str]) -> Instruction | None:
        """A RUN of this stage or a later one that installs ``family`` packages (anywhere in the build)."""
        wanted = set(subcommands)
        stage = ship.copy.instruction.stage or 0
        lineage = set(self.ctx.lineage(stage))
        for item in self.ctx.runs():
            if item.stage is None or (
                item.stage not in lineage and stage not in self.ctx.lineage(item.stage)
            ):
                continue
            script = self.ctx.script(item)
            if script is None:
                continue
            if any(i.family == family and (i.subcommand or "install") in wanted for i in invocations(script)):
                return item
        return None

    # -- patterns ---------------------------------------------------------------------------------------

    def excluded_by(self, pattern: str) -> list[str]:
        """The sent entries a new line ``pattern`` would exclude (matching it or a parent)."""
        compiled = IgnorePattern.compile(pattern)
        seen: dict[str, bool] = {}
        return [path for path in self.entries if _under_match(compiled, path, seen)]

    def sound(self, pattern: str, allowed: set[str]) -> bool:
        """``pattern`` excludes only ``allowed`` paths (and what is below them), and no existing ``!``
        exception would be overridden by it."""
        try:
            hits = self.excluded_by(pattern)
        except IgnoreFileError:
            return False
        if not hits:
            return False
        for path in hits:
            if not any(path == a or path.startswith(a + "/") for a in allowed):
                return False
        exceptions = [p for p in self.matcher.patterns if p.exclusion]
        for exception in exceptions:
            seen: dict[str, bool] = {}
            if any(_under_match(exception, path, seen) for path in hits):
                return False
            for path in allowed:
                if exception.text.startswith(path + "/"):
                    return False
        return True

    def patterns_for(self, paths: list[str], group: str | None = None) -> list[str]:
        """Lines to add for ``paths``: the ``group`` pattern when it is sound, else one per path."""
        allowed = set(paths)
        if group is not None and self.sound(group, allowed):
            return [group]
        lines = []
        for path in paths:
            line = literal(path)
            if self.sound(line, {path}):
                lines.append(line)
        return lines

    # -- findings ---------------------------------------------------------------------------------------

    def finding(
        self,
        rule: object,
        ship: Shipment,
        message: str,
        lines: list[str],
        applicability: Applicability,
    ) -> Finding:
        """A finding at the COPY that ships the path; its fix appends ``lines`` to the ignore file."""
        base = rule.finding(self.ctx, ship.copy.instruction, message)  # type: ignore[attr-defined]
        if not lines:
            return base
        code = rule.code  # type: ignore[attr-defined]
        edit = FileEdit(str(self.target), tuple(lines), code)
        return replace(base, fix=Fix((), applicability, file_edits=(edit,)))

    def where(self) -> str:
        root = self.context.root
        try:
            return self.target.relative_to(root).as_posix()
        except ValueError:
            return self.target.name


def _passes_through(instruction: Instruction, path: str) -> bool:
    """A ``COPY --from`` of a folder that holds ``path`` (not of ``path`` itself): it carries the
    path along to another stage without needing it; whether that stage uses it is unknown."""
    target = instruction.sub or instruction
    if target.name not in ("COPY", "ADD"):
        return False
    sources = [posixpath.normpath("/" + word.lstrip("/")) for word in target.value[:-1]]
    return bool(sources) and all(
        source != path and path.startswith(source.rstrip("/") + "/") for source in sources
    )


def _under_match(pattern: IgnorePattern, path: str, seen: dict[str, bool]) -> bool:
    """Whether ``pattern`` matches ``path`` or one of its parent directories; ``seen`` remembers the
    answer per prefix across the paths of one listing (parents come up again and again)."""
    known = seen.get(path)
    if known is None:
        parent = path.rpartition("/")[0]
        known = seen[path] = (bool(parent) and _under_match(pattern, parent, seen)) or bool(
            pattern.match(path)
        )
    return known


def _excluded_by(patterns: list[str], path: str) -> bool:
    try:
        matcher = IgnoreMatcher.from_lines(patterns)
    except IgnoreFileError:
        return True  # a bad --exclude: say it is excluded, so the path is not claimed as shipped
    return matcher.excludes(path)


def display(path: str, is_dir: bool) -> str:
    return f"`{path}/`" if is_dir else f"`{path}`"


def choose(verdict: Verdict, base: Applicability) -> Applicability:
    if verdict.doubt and base is Applicability.SAFE:
        return Applicability.UNSAFE
    return base
