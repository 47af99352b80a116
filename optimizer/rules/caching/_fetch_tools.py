"""Per tool, what DO403 needs to know: which commands build, where their project is, and the
pre-fetch command written in the build's own style (program and options as the build has them).

Why apart from the planner: this is vocabulary (go/mvn/gradle/cargo subcommands and options), the
planner is Dockerfile geometry; each changes for its own reasons.
"""

from __future__ import annotations

from ...analysis.context import BuildContext
from ...shell import Invocation
from ._installs_other import _GRADLE_TASKS, _MAVEN_GOALS
from ._steps import directory_of

PRIMARY = {
    "go": ("go.mod", "go.work"),
    "maven": ("pom.xml",),
    "gradle": ("settings.gradle.kts", "settings.gradle", "build.gradle.kts", "build.gradle"),
    "cargo": ("Cargo.toml",),
}
ECOSYSTEM = {"go": "go", "mvn": "maven", "gradle": "gradle", "cargo": "cargo"}
_GO_BUILDS = frozenset({"build", "install", "test", "vet", "run"})
_CARGO_BUILDS = frozenset({"build", "test", "run", "check", "doc", "fetch"})
_MAVEN_KEEP = frozenset(
    {"-f", "--file", "-s", "--settings", "-gs", "--global-settings", "-P", "--activate-profiles", "-B",
     "--batch-mode", "-q", "--quiet", "-D", "--define", "-pl", "--projects", "-am", "--also-make", "-U",
     "--update-snapshots", "-ntp", "--no-transfer-progress", "-e", "--errors", "-C", "--strict-checksums",
     "-X", "--debug"}
)  # fmt: skip
_GRADLE_KEEP = frozenset(
    {"--no-daemon", "-q", "--quiet", "-p", "--project-dir", "-b", "--build-file", "-c", "--settings-file",
     "-P", "--project-prop", "-D", "--system-prop", "--console", "-g", "--gradle-user-home", "-i", "--info",
     "-s", "--stacktrace", "-S", "--full-stacktrace", "--warning-mode", "--no-build-cache", "--refresh-dependencies"}
)  # fmt: skip
CARGO_SHAPE = (
    "cargo compiles dependencies only together with a crate, so this is not rewritten automatically: "
    "copy Cargo.toml and Cargo.lock, build a stub crate (`RUN mkdir src && echo 'fn main() {}' > "
    "src/main.rs && cargo build --release && rm -rf src`), then copy the source and build again "
    "(or use cargo-chef, or a cache mount on /usr/local/cargo/registry and target/)"
)


CAVEAT = {
    "go": "it adds a step that downloads (a private module may need credentials at that point)",
    "maven": "it adds a step that downloads, and dependency:go-offline does not resolve every plugin "
    "the build uses (the build still fetches those)",
    "gradle": "it adds a step that downloads, and `dependencies` resolves only the root project's "
    "configurations (the build still fetches the rest)",
}


def is_build(inv: Invocation) -> bool:
    sub = inv.subcommand
    if sub is None:
        return False
    if inv.manager == "go":
        return sub in _GO_BUILDS and not (sub == "install" and any("@" in w.text for w in inv.args))
    if inv.manager == "mvn":
        goals = [sub] + [w.value or "?" for w in inv.args]
        return not all(g in _MAVEN_GOALS or g == "clean" for g in goals)
    if inv.manager == "gradle":
        tasks = [sub] + [w.value or "?" for w in inv.args]
        return not all(t in _GRADLE_TASKS or t in ("clean", "help", "tasks") for t in tasks)
    if inv.manager == "cargo":
        return sub in _CARGO_BUILDS or (sub == "install" and inv.has("--path"))
    return False


def project_dir(inv: Invocation, cwd: str) -> str | None:
    if inv.manager == "go":
        return None if inv.has("-C", "-modfile") else cwd
    if inv.manager == "mvn" and inv.has("-f", "--file"):
        pom = inv.value("-f", "--file")
        return directory_of(pom, cwd, is_file=bool(pom and pom.endswith(".xml")))
    if inv.manager == "gradle":
        if inv.has("-b", "--build-file", "-c", "--settings-file"):
            return None  # a build file elsewhere: the project layout is not the default one
        if inv.has("-p", "--project-dir"):
            return directory_of(inv.value("-p", "--project-dir"), cwd)
    if inv.manager == "cargo" and inv.has("--manifest-path"):
        return directory_of(inv.value("--manifest-path"), cwd, is_file=True)
    return cwd


def command(ecosystem: str, inv: Invocation) -> str:
    """The pre-fetch command in the build's own style: its env prefix and program as written,
    the options that select the project, settings, profiles and output, then the fetch goal."""
    script = inv.command.script
    text = script.text if script is not None else ""
    head = text[inv.command.span[0] : inv.program[-1].span[1]]
    if ecosystem == "go":
        return f"{head} mod download"
    keep = _MAVEN_KEEP if ecosystem == "maven" else _GRADLE_KEEP
    words: list[str] = []
    seen: set[int] = set()
    for option in inv.options:
        if option.name not in keep:
            continue
        for word in option.words:
            if id(word) not in seen:
                seen.add(id(word))
                words.append(word.text)
    goal = "dependency:go-offline" if ecosystem == "maven" else "dependencies"
    return " ".join([head, *words, goal])


def workspace_requires(context: BuildContext, gomods: list[str]) -> tuple[str, str] | None:
    """(go.mod, module) where a workspace module requires another one: ``go mod download`` then
    looks the required version up in the module proxy although the build never does."""
    from ...analysis.eco_compiled import _go_directives

    paths = {}
    for gomod in gomods:
        found = _go_directives(context.read_text(gomod) or "", "module")
        if found and found[0].split():
            paths[found[0].split()[0]] = gomod
    for gomod in gomods:
        for body in _go_directives(context.read_text(gomod) or "", "require"):
            words = body.split()
            if words and words[0] in paths and paths[words[0]] != gomod:
                return gomod, words[0]
    return None
