"""What the final image runs: ENTRYPOINT/CMD/HEALTHCHECK words, resolved through WORKDIR and PATH,
and the static proof that a Go program needs nothing from the file system at run time."""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass

from ...syntax import Instruction

STANDARD_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
INTERPRETERS = frozenset({"sh", "bash", "dash", "java", "node", "python", "python3", "nodejs", "exec"})
BUILD_TOOL_WORDS = re.compile(
    r"\b(go (build|install|run)|gcc|g\+\+|cc -|make\b|cmake|cargo (build|run)|javac|mvnw?\b|gradlew?\b|"
    r"npm run build|yarn build|tsc\b|pip install)"
)


@dataclass
class Command:
    """The final image's command line as the Dockerfile gives it."""

    argv: list[str]  # best-effort words; shell forms are split with shlex
    exec_form: bool  # every part (ENTRYPOINT and CMD used) is JSON
    instructions: list[Instruction]


def _words(instruction: Instruction) -> tuple[list[str], bool]:
    if instruction.json:
        return list(instruction.value), True
    try:
        return shlex.split(instruction.args, posix=True), False
    except ValueError:
        return instruction.args.split(), False


def final_command(instructions: list[Instruction]) -> Command | None:
    """ENTRYPOINT + CMD of the stage (the last of each), or None when neither is set."""
    entry = next((i for i in reversed(instructions) if i.name == "ENTRYPOINT"), None)
    cmd = next((i for i in reversed(instructions) if i.name == "CMD"), None)
    if entry is None and cmd is None:
        return None
    argv: list[str] = []
    exec_form = True
    used: list[Instruction] = []
    if entry is not None:
        words, form = _words(entry)
        argv += words
        exec_form = exec_form and form
        used.append(entry)
    if cmd is not None and (entry is None or entry.json):
        words, form = _words(cmd)
        argv += words
        exec_form = exec_form and form
        used.append(cmd)
    return Command(argv, exec_form, used)


def program_words(argv: list[str]) -> list[str]:
    """The words of a command line that name files to run: the program and an interpreter's script."""
    found: list[str] = []
    words = [w for w in argv if w not in ("exec",)]
    if not words:
        return found
    found.append(words[0])
    base = posixpath.basename(words[0])
    rest = words[1:]
    if base in ("sh", "bash", "dash", "node", "nodejs", "python", "python3"):
        for word in rest:
            if word in ("-c", "-m"):
                break
            if not word.startswith("-"):
                found.append(word)
                break
    if base == "java" and "-jar" in rest:
        index = rest.index("-jar")
        if index + 1 < len(rest):
            found.append(rest[index + 1])
    return found


def resolve(word: str, workdir: str | None, outputs: dict[str, str]) -> str | None:
    """The absolute path ``word`` runs: through WORKDIR when it has a slash, else through the build
    outputs that landed on PATH; None for a program the base image provides (``java``, ``python``)."""
    if word.startswith("/"):
        return posixpath.normpath(word)
    if "/" in word:
        return posixpath.normpath(posixpath.join(workdir, word)) if workdir else None
    for path in outputs.values():
        if posixpath.basename(path) == word and posixpath.dirname(path) in STANDARD_PATH:
            return path
    return None


# -- Go: when a program provably reads nothing from the file system -------------------------------

GO_ALLOWED_IMPORTS = frozenset(
    {
        "fmt", "strings", "strconv", "math", "math/bits", "math/rand", "math/big", "sort", "errors",
        "unicode", "unicode/utf8", "bytes", "sync", "sync/atomic", "context", "flag", "log", "io", "bufio",
        "encoding/json", "encoding/base64", "encoding/hex", "encoding/binary", "encoding/csv", "hash",
        "hash/crc32", "hash/fnv", "crypto/sha256", "crypto/sha1", "crypto/md5", "crypto/rand",
        "container/list", "container/heap", "regexp", "time", "os", "os/signal", "runtime", "slices",
        "maps", "net", "net/http", "html", "net/url", "syscall",
    }
)  # fmt: skip
# Calls that read or write files, run programs or need the zone database / user database.
GO_FILE_ACCESS = re.compile(
    r"\b(os\.(Open|OpenFile|ReadFile|ReadDir|Stat|Lstat|Create|WriteFile|Mkdir|MkdirAll|Chdir|DirFS|"
    r"Remove|RemoveAll|Rename|Readlink|Symlink|Link|Chmod|Chown|StartProcess)|ioutil\.|LoadLocation|"
    r"http\.(Dir|ServeFile|FileServer)|syscall\.(Open|Exec|Stat)|plugin\.)"
)
_IMPORT_BLOCK = re.compile(r"^\s*import\s*\((.*?)\)", re.S | re.M)
_IMPORT_LINE = re.compile(r'^\s*import\s+(?:[\w.]+\s+)?"([^"]+)"', re.M)
_QUOTED = re.compile(r'"([^"]+)"')


def go_imports(source: str) -> set[str]:
    imports = set(_IMPORT_LINE.findall(source))
    for block in _IMPORT_BLOCK.findall(source):
        imports.update(_QUOTED.findall(block))
    return imports


def go_reads_nothing(sources: dict[str, str], go_mod: str | None) -> str | None:
    """None when the Go program provably needs no file at run time; else why not."""
    if not sources:
        return "no Go sources in the build context"
    if go_mod is not None and re.search(r"^\s*require\b", go_mod, re.M):
        return "go.mod requires modules the rule does not read"
    for name, text in sorted(sources.items()):
        extra = sorted(go_imports(text) - GO_ALLOWED_IMPORTS)
        if extra:
            return f"{name} imports {extra[0]}"
        match = GO_FILE_ACCESS.search(text)
        if match:
            return f"{name} calls {match.group(0)}"
    return None
