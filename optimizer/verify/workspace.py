"""A private copy of the build context, and the source file ``verify`` edits to time a rebuild.

``verify`` measures "rebuild after touching a source file", which means changing a file the build
reads. It must never change the user's files, so every build runs against a temporary copy of the
context (mtimes kept) and only that copy is edited. The file chosen is one the Dockerfile actually
copies from the context, not a dependency manifest (editing a manifest measures a dependency change,
not the everyday edit-and-rebuild loop), preferring source code, then the most recently modified.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

# Files that describe dependencies or the build rather than the program: never the one we edit.
MANIFEST_RE = re.compile(
    r"^(package(-lock)?\.json|npm-shrinkwrap\.json|yarn\.lock|\.yarnrc(\.yml)?|\.npmrc|pnpm-lock\.yaml"
    r"|pnpm-workspace\.yaml|bun\.lockb?|requirements[^/]*\.(txt|in)|constraints[^/]*\.txt|pyproject\.toml"
    r"|poetry\.lock|uv\.lock|pdm\.lock|Pipfile(\.lock)?|setup\.(py|cfg)|environment\.ya?ml"
    r"|go\.(mod|sum|work|work\.sum)|Cargo\.(toml|lock)|pom\.xml|(build|settings)\.gradle(\.kts)?"
    r"|gradle\.properties|gradlew(\.bat)?|Gemfile(\.lock)?|gems\.(rb|locked)|composer\.(json|lock)"
    r"|.*\.(csproj|fsproj|vbproj|sln)|packages\.lock\.json|nuget\.config|mix\.(exs|lock)"
    r"|\.dockerignore|.*\.dockerignore|Dockerfile(\..*)?|.*\.Dockerfile|Containerfile(\..*)?)$",
    re.IGNORECASE,
)
SOURCE_SUFFIXES = frozenset(
    [
        ".py",
        ".pyx",
        ".js",
        ".mjs",
        ".cjs",
        ".jsx",
        ".ts",
        ".tsx",
        ".vue",
        ".svelte",
        ".go",
        ".c",
        ".h",
        ".cc",
        ".cpp",
        ".cxx",
        ".hpp",
        ".rs",
        ".java",
        ".kt",
        ".scala",
        ".rb",
        ".php",
        ".cs",
        ".fs",
        ".swift",
        ".ex",
        ".exs",
        ".erl",
        ".clj",
        ".lua",
        ".pl",
        ".sh",
        ".bash",
        ".html",
        ".css",
        ".scss",
        ".sql",
    ]
)
_SNIFF_BYTES = 8192


@dataclass(frozen=True, slots=True)
class EditTarget:
    path: str  # relative to the context root, with "/" separators
    reason: str  # why this file, for the report


def copy_context(source: Path, destination: Path) -> list[str]:
    """Copy the context tree (symlinks as symlinks, mtimes kept); returns paths that could not be copied.

    Sockets, fifos and unreadable files cannot be sent to a builder either, so they are skipped rather
    than fatal; the caller reports them.
    """
    problems: list[str] = []

    def copy(src: str, dst: str) -> None:
        mode = os.lstat(src).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
            problems.append(os.path.relpath(src, source))
            return
        shutil.copy2(src, dst, follow_symlinks=False)

    try:
        shutil.copytree(source, destination, symlinks=True, copy_function=copy)
    except shutil.Error as exc:
        problems.extend(str(item[0]) for item in exc.args[0])
    return problems


def remove_tree(path: Path) -> None:
    """Delete a temporary tree even when the copy made some directories read-only."""

    def retry(function, target, _exc_info) -> None:
        try:
            os.chmod(os.path.dirname(target), 0o700)
            os.chmod(target, 0o700)
            function(target)
        except OSError:
            pass

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=retry)
    else:
        shutil.rmtree(path, onerror=retry)


def _is_text(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            return b"\0" not in stream.read(_SNIFF_BYTES)
    except OSError:
        return False


def _copied_files(context_dir: Path, dockerfile_text: str, dockerfile_path: Path | None) -> list[str] | None:
    """Context files some COPY/ADD of the Dockerfile takes (None when the analysis cannot tell)."""
    try:
        from optimizer.analysis.context import BuildContext, context_copies
        from optimizer.syntax import parse

        context = BuildContext(context_dir, dockerfile_path)
        entries = context.entries()
        found: set[str] = set()
        for copy in context_copies(parse(dockerfile_text)):
            matched = copy.matches(context)
            if matched is None:
                return None  # a source with a variable: anything may be copied
            for rel in matched:
                if rel == "." or entries.get(rel):
                    prefix = "" if rel == "." else rel + "/"
                    found.update(p for p, is_dir in entries.items() if not is_dir and p.startswith(prefix))
                elif rel in entries:
                    found.add(rel)
        return sorted(found)
    except Exception:  # noqa: BLE001 - the analysis is a convenience here; it must never break verify
        return None


def _all_files(context_dir: Path) -> list[str]:
    out = []
    for root, dirs, files in os.walk(context_dir):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            out.append(Path(root, name).relative_to(context_dir).as_posix())
    return sorted(out)


def choose_edit_target(
    context_dir: Path, dockerfile_text: str, dockerfile_path: Path | None = None
) -> EditTarget | None:
    """The file to edit for the "rebuild after edit" timing, or None when the build copies no source.

    Candidates are the regular text files a COPY/ADD takes from the context (all files when that cannot
    be worked out), minus dependency manifests, lockfiles, Dockerfiles and ignore files. Source code
    (by extension) wins over other files; among equals the most recently modified, then the shortest
    path, then the name.
    """
    copied = _copied_files(context_dir, dockerfile_text, dockerfile_path)
    exact = copied is not None
    candidates = []
    for rel in copied if copied is not None else _all_files(context_dir):
        path = context_dir / rel
        if MANIFEST_RE.match(path.name) or path.is_symlink() or not path.is_file() or not _is_text(path):
            continue
        is_source = path.suffix.lower() in SOURCE_SUFFIXES
        candidates.append((not is_source, -path.stat().st_mtime_ns, rel.count("/"), rel))
    if not candidates:
        return None
    not_source, _, _, rel = min(candidates)
    kind = "non-manifest file" if not_source else "source file"
    where = "that the Dockerfile copies" if exact else "in the context"
    return EditTarget(rel, f"the most recently modified {kind} {where}")


class Workspace:
    """A temporary copy of the build context; ``edit()`` changes the chosen file in the copy only."""

    def __init__(self, context_dir: Path, dockerfile_text: str, dockerfile_path: Path | None = None) -> None:
        self.source = Path(context_dir)
        self.dockerfile_text = dockerfile_text
        self.dockerfile_path = dockerfile_path
        self.root: Path | None = None
        self.context: Path = self.source
        self.skipped: list[str] = []
        self.target: EditTarget | None = None
        self.edits = 0

    def __enter__(self) -> Workspace:
        self.root = Path(tempfile.mkdtemp(prefix="dockopt-verify-"))
        self.context = self.root / "context"
        self.skipped = copy_context(self.source, self.context)
        self.target = choose_edit_target(self.context, self.dockerfile_text, self.dockerfile_path)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.root is not None:
            remove_tree(self.root)
            self.root = None

    def edit(self, other: str | None = None) -> None:
        """Append a line with a fresh random token to the chosen file (or ``other``), in the copy.

        The token makes content no build cache has seen, in this session or any earlier one, so the
        rebuild redoes exactly what an edit invalidates. The line is a comment in the file's language
        when the extension tells which; otherwise it is whitespace only (spaces and tabs spelling the
        token), which nearly every format ignores.
        """
        if other is None and self.target is None:
            raise RuntimeError("no file to edit")
        path = self.context / (other if other is not None else self.target.path)  # type: ignore[union-attr]
        existing = path.read_bytes()
        separator = b"" if not existing or existing.endswith(b"\n") else b"\n"
        with path.open("ab") as stream:
            stream.write(separator + edit_line(path.suffix, uuid.uuid4().hex[:16]).encode() + b"\n")
        self.edits += 1


_COMMENTS = {
    "# {}": ".py .pyx .pyi .sh .bash .zsh .rb .pl .pm .r .yaml .yml .toml .ini .cfg .conf .ex .exs .tf .nix",
    "// {}": ".go .c .h .cc .cpp .cxx .hpp .hh .js .mjs .cjs .jsx .ts .tsx .java .kt .kts .scala .rs .cs"
    " .fs .swift .dart .scss .less .proto .zig",
    "/* {} */": ".css",
    "<!-- {} -->": ".html .htm .xml .xhtml .vue .svelte .md .markdown .svg",
    "-- {}": ".sql .lua .hs .elm",
    "; {}": ".clj .cljs .lisp .el .scm",
    "% {}": ".erl .tex",
}
COMMENT_STYLE = {suffix: style for style, suffixes in _COMMENTS.items() for suffix in suffixes.split()}


def edit_line(suffix: str, token: str) -> str:
    """One line carrying ``token``: a comment for known languages, else spaces/tabs (one per bit)."""
    style = COMMENT_STYLE.get(suffix.lower())
    if style is not None:
        return style.format(f"dockopt verify: edit {token}")
    bits = "".join(f"{int(c, 16):04b}" for c in token)
    return "".join(" " if bit == "0" else "\t" for bit in bits)
