"""Planning a split: the builder (the original stage, named ``build``) and the runtime twin's text.

``plan(ctx)`` reads the one stage, finds its build steps, chooses the twin base and lists what the
twin copies from the builder; it returns a ``Plan``, a ``Refusal`` (shown, not fixed) or None.
Runtime facts (``ctx.session.runtime``, read from a built original) replace guesses: the Debian
release, whether an artifact is static, which libraries it links and which packages own them.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from ...analysis.facts import Facts
from ...analysis.runtime import RuntimeFacts
from ...shell import is_posix_shell
from ...syntax import Instruction
from ._ecosystems import BuildStep, StageBuild, read_stage
from ._program import (
    BUILD_TOOL_WORDS,
    STANDARD_PATH,
    final_command,
    go_reads_nothing,
    program_words,
    resolve,
)
from ._twin import NoTwin, Twin, minimal_base, twin_base

METADATA = frozenset(
    {"ENV", "ARG", "WORKDIR", "USER", "EXPOSE", "VOLUME", "LABEL", "STOPSIGNAL", "HEALTHCHECK", "ENTRYPOINT",
     "CMD", "SHELL", "ONBUILD", "MAINTAINER"}
)  # fmt: skip
SYSTEM_DIRS = ("/", "/usr", "/etc", "/var", "/bin", "/sbin", "/lib", "/root", "/opt", "/go", "/tmp")
BASE_LIBRARIES = frozenset({"libc6", "libgcc-s1", "libstdc++6", "zlib1g", "libcrypt1"})
# Commands a RUN after the build may use: they change files the twin copies (WORKDIR) or users.
AFTER_BUILD_OK = frozenset(
    {"useradd", "adduser", "groupadd", "addgroup", "chown", "chmod", "mkdir", "ln", "rm", "echo", "true",
     "cp", "mv", "touch"}
)  # fmt: skip
# Programs the twin's base provides itself (the interpreters and shells of the bases we map).
BASE_PROGRAMS = frozenset(
    {"java", "node", "nodejs", "npm", "npx", "yarn", "python", "python3", "pip", "sh", "bash", "dash", "env"}
)
WINDOWS_BUILD = re.compile(
    r"\b(make|msbuild|dotnet (build|publish)|go build|cargo build|javac|mvn|gradle|npm run build)\b", re.I
)
BUILDER_BASES = ("golang", "rust", "buildpack-deps", "gcc", "maven", "gradle")


@dataclass
class Refusal:
    instruction: Instruction
    reason: str


@dataclass
class Plan:
    builder: Instruction  # the FROM to name
    builder_name: str
    twin: Twin
    base: str  # the twin's FROM reference (the minimal base when chosen)
    build: StageBuild
    copies: list[str] = field(default_factory=list)  # absolute paths copied from the builder
    prune_node: bool = False  # production dependencies only, through a ``npm prune`` stage
    packages: list[str] = field(default_factory=list)  # apt packages the twin installs
    ldconfig: bool = False
    metadata: list[Instruction] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)
    proven: str | None = None  # None: the closure is not proven statically (why is in ``unproven``)
    unproven: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # ENV values that expand a base image's variable, as the built original has them (the twin's
    # base defines other variables: ``PATH=/app/bin:$PATH`` must keep the original's value)
    env_values: dict[str, str] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)  # program names to look for on PATH in a built image


def _stage_workdir(ctx: Facts, instructions: list[Instruction]) -> str | None:
    if not any(i.name == "WORKDIR" for i in instructions):
        return None
    workdir = ctx.scopes[instructions[-1]].workdir
    return workdir.text if workdir.known else None


def plan(ctx: Facts) -> Plan | Refusal | None:
    tree = ctx.tree
    if not tree.stages:
        return None
    final = tree.stages[-1]
    runs = [i for i in final.instructions if i.name == "RUN"]
    scripts = [ctx.script(run) for run in runs]
    build, readable = read_stage(scripts)
    base_name = final.base.split(":")[0].rsplit("/", 1)[-1]
    windows = any(w in final.base.lower() for w in ("windows", "nanoserver", "servercore")) or any(
        i.name == "SHELL" and i.json and not is_posix_shell(tuple(i.value)) for i in final.instructions
    )
    if windows:
        if any(WINDOWS_BUILD.search(run.args) for run in runs):
            return Refusal(final.from_instruction, "a Windows or non-POSIX stage is not split")
        return None
    if not build.steps and build.python_installs and base_name == "python" and "slim" not in final.base:
        # The full python image is the compiler image: its pip installs may build extensions.
        build.steps += [step for step in _pip_steps(scripts)]
    if not build.steps:
        if len(tree.stages) == 1 and runs and (base_name in BUILDER_BASES or final.base.endswith("-jdk")):
            return Refusal(
                final.from_instruction, f"nothing is built in `{final.base}`: no artifact to split"
            )
        return None
    anchor = final.from_instruction
    if len(tree.stages) > 1:
        return Refusal(anchor, "already multi-stage: the final stage builds, but the split is left to you")
    if final.platform or any(
        i.name == "SHELL" and i.json and not is_posix_shell(tuple(i.value)) for i in final.instructions
    ):
        return Refusal(anchor, "a Windows or non-POSIX stage is not split")
    if build.other_managers:
        return Refusal(anchor, f"{sorted(build.other_managers)[0]} installs: only Debian twins are planned")
    runtime = ctx.session.runtime
    codename = runtime.os_release.get("VERSION_CODENAME") if runtime else None
    twin = twin_base(final.base, bool(build.build_packages), codename)
    if isinstance(twin, NoTwin):
        return Refusal(anchor, twin.reason)
    items = final.instructions[1:]
    command = final_command(items)
    if command is None:
        return Refusal(anchor, "no CMD or ENTRYPOINT: the program is the base image's default")
    workdir = _stage_workdir(ctx, items)
    if workdir in SYSTEM_DIRS:
        workdir = None
    alias = final.name or "build"
    result = Plan(anchor, alias, twin, twin.image, build)
    result.metadata = [i for i in items if i.name in METADATA]
    _env_values(result, runtime if tree.escape == "\\" else None)
    if not readable:
        result.unproven.append("a RUN script the rule cannot read")
    refusal = _after_build(ctx, runs, scripts, build, workdir)
    if refusal:
        return refusal
    _carry(ctx, result, command.argv, workdir, runtime)
    refusal = _scripts(ctx, result, workdir)
    if refusal:
        return refusal
    _system_files(ctx, result, items, runtime)
    _ecosystem(ctx, result, workdir, runtime)
    _libraries(result, runtime)
    _prove(ctx, result, command.exec_form, items, workdir)
    _minimal_from_facts(ctx, result, command.exec_form, runtime)
    return result


def _pip_steps(scripts) -> list[BuildStep]:
    from ...shell import recognise

    return [
        BuildStep("python", command)
        for script in scripts
        if script is not None
        for command in script.commands
        if (found := recognise(command)) is not None
        and found.manager == "pip"
        and found.subcommand == "install"
    ]


def _after_build(ctx, runs, scripts, build: StageBuild, workdir: str | None) -> Refusal | None:
    last = build.steps[-1].command
    seen = False
    for run, script in zip(runs, scripts, strict=True):
        if script is None:
            continue
        for command in script.commands:
            if seen and command is not last and command.name is not None:
                name = posixpath.basename(command.name)
                if name in AFTER_BUILD_OK or any(s.command is command for s in build.steps):
                    continue
                if name in ("apt-get", "apt", "pip", "pip3", "npm", "yarn") or not workdir:
                    return Refusal(
                        run,
                        f"`{name}` at line {run.line} runs after the build and changes system directories",
                    )
            if command is last:
                seen = True
    return None


def _carry(
    ctx: Facts, result: Plan, argv: list[str], workdir: str | None, runtime: RuntimeFacts | None
) -> None:
    outputs: dict[str, str] = {}
    for step in result.build.steps:
        if step.output:
            cwd = _command_dir(ctx, step)
            path = (
                step.output
                if step.output.startswith("/")
                else (posixpath.normpath(posixpath.join(cwd, step.output)) if cwd else None)
            )
            if path:
                outputs[step.output] = path
    if workdir:
        result.copies.append(workdir)
    for path in outputs.values():
        if not workdir or not _inside(path, workdir):
            result.copies.append(path)
    healthcheck = [i for i in result.metadata if i.name == "HEALTHCHECK"]
    words = program_words(argv)
    for check in healthcheck[-1:]:
        words += program_words(list(check.value[1:]) if check.json else check.args.split()[1:2])
    for word in words:
        path = resolve(word, workdir, outputs)
        if path is None and "/" not in word and word not in BASE_PROGRAMS:
            path = _on_path(ctx, word, runtime)
            if path is None:
                result.unproven.append(f"`{word}` is not found on PATH among the build outputs")
                result.lookups.append(word)
        if path is None:
            continue
        result.artifacts.append(path)
        if not (workdir and _inside(path, workdir)) and path not in result.copies:
            if runtime and runtime.files.get(path) and runtime.files[path].kind != "missing":
                result.copies.append(path)
            elif path in outputs.values():
                pass
            else:
                result.unproven.append(f"`{path}` is not a known build output")
                result.copies.append(path)


def _on_path(ctx: Facts, word: str, runtime: RuntimeFacts | None) -> str | None:
    """Where a bare program name the stage installed lives: from the built image, or a RUN that
    names ``<dir>/<word>`` for a directory on the standard PATH."""
    for directory in STANDARD_PATH:
        path = f"{directory}/{word}"
        if runtime is not None:
            kind = runtime.files.get(path)
            if kind is not None and kind.kind != "missing":
                return path
        elif any(path in run.args for run in ctx.runs()):
            return path
    return None


def _command_dir(ctx: Facts, step) -> str | None:
    script = step.command.script
    for run in ctx.runs():
        if ctx.script(run) is script:
            workdir = ctx.scopes[run].workdir
            return workdir.text if workdir.known else None
    return None


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _scripts(ctx: Facts, result: Plan, workdir: str | None) -> Refusal | None:
    context, _ = ctx.build_context()
    for path in result.artifacts:
        if not path.endswith((".sh", ".bash")) and "entrypoint" not in path:
            continue
        text = None
        if context is not None:
            for candidate in (
                posixpath.relpath(path, workdir) if workdir else None,
                posixpath.basename(path),
            ):
                if candidate and not candidate.startswith("..") and context.exists(candidate):
                    text = context.read_text(candidate)
                    break
        if text is None:
            result.unproven.append(f"the script {path} is not in the build context")
            continue
        match = BUILD_TOOL_WORDS.search(text)
        if match:
            return Refusal(
                result.builder, f"the entrypoint script {path} calls a build tool (`{match.group(0)}`)"
            )
    return None


def _system_files(ctx: Facts, result: Plan, items: list[Instruction], runtime: RuntimeFacts | None) -> None:
    users = [i.args.split(":")[0].strip() for i in items if i.name == "USER"]
    if users and users[-1] not in ("root", "0") and not users[-1].isdigit():
        result.copies += ["/etc/passwd", "/etc/group"]
    elif users and users[-1].isdigit():
        result.notes.append("numeric USER: no passwd entry is needed")
    if result.twin.has_ca_bundle:
        return
    had_ca = (
        runtime.has_ca_bundle
        if runtime
        else (
            "ca-certificates" in result.build.apt_packages
            or ctx.tree.stages[-1].base.split(":")[0].rsplit("/", 1)[-1]
            in ("golang", "rust", "buildpack-deps")
        )
    )
    if had_ca and "ca-certificates" not in result.build.runtime_packages:
        result.copies.append("/etc/ssl/certs/ca-certificates.crt")
    if runtime and runtime.has_zoneinfo and "tzdata" not in result.build.runtime_packages:
        result.copies.append("/usr/share/zoneinfo")


def _ecosystem(ctx: Facts, result: Plan, workdir: str | None, runtime: RuntimeFacts | None) -> None:
    ecosystems = result.build.ecosystems
    result.packages = [
        p for p in result.build.runtime_packages if p != "ca-certificates" or not result.twin.has_ca_bundle
    ]
    if result.build.unknown_installs:
        result.unproven.append("an apt-get install list the rule cannot read")
    if "python" in ecosystems:
        version = re.match(r"(\d+\.\d+)", ctx.tree.stages[-1].base.split(":")[-1])
        if version:
            root = f"/usr/local/lib/python{version.group(1)}"
            found = [
                f"{root}/{name}"
                for name in ("site-packages", "dist-packages")
                if runtime and (f := runtime.files.get(f"{root}/{name}")) and f.kind != "missing"
            ]
            result.copies += found or [f"{root}/site-packages"]
            result.copies.append("/usr/local/bin")
        for script in (ctx.script(run) for run in ctx.runs()):
            for command in script.commands if script else []:
                argv = command.argv
                if "venv" in argv and len(argv) > argv.index("venv") + 1:
                    target = argv[argv.index("venv") + 1]
                    if target and target.startswith("/"):
                        result.copies.append(target)
        result.notes.append("compilers and -dev packages stay in the build stage")
    if "node" in ecosystems and workdir and result.build.npm_installs:
        result.prune_node = True
        result.notes.append("production dependencies only (npm prune --omit=dev)")
    if "java" in ecosystems:
        result.notes.append(_java_note(ctx))
    if "rust" in ecosystems and workdir:
        result.notes.append("target/ is carried with the WORKDIR")
    if not workdir:
        result.unproven.append("no WORKDIR: the files the program reads are unknown")


def _java_note(ctx: Facts) -> str:
    context, _ = ctx.build_context()
    pom = context.read_text("pom.xml") if context is not None and context.exists("pom.xml") else None
    if pom is None:
        return "the jar runs on the JRE"
    final = re.search(r"<finalName>([^<$]+)</finalName>", pom)
    project = re.sub(
        r"<parent>.*?</parent>|<dependencies>.*?</dependencies>|<build>.*?</build>", "", pom, flags=re.S
    )
    artifact = re.search(r"<artifactId>([^<]+)</artifactId>", project)
    version = re.search(r"<version>([^<$]+)</version>", project)
    name = (
        final.group(1)
        if final
        else (f"{artifact.group(1)}-{version.group(1)}" if artifact and version else None)
    )
    jar = f"target/{name}.jar" if name else "target/*.jar"
    return f"the jar ({jar}) runs on the JRE; a dependency pre-fetch step (mvn dependency:go-offline after COPY pom.xml) would make the build cache work"


def _libraries(result: Plan, runtime: RuntimeFacts | None) -> None:
    if runtime is None:
        if any(e in ("c", "python") or (e == "go" and not _static(result)) for e in result.build.ecosystems):
            result.unproven.append(
                "the shared libraries the artifacts link are unknown until a build is inspected"
            )
        return
    needed: list[str] = []
    for path, kind in runtime.files.items():
        if any(_inside(path, copied) for copied in result.copies + result.artifacts):
            needed += [soname for soname in kind.needed if soname not in needed]
    for soname in needed:
        package = runtime.library_packages.get(soname)
        if package:
            if package not in BASE_LIBRARIES and package not in result.packages:
                result.packages.append(package)
        elif (where := runtime.library_paths.get(soname)) and where not in result.copies:
            result.copies.append(where)
            result.ldconfig = True


def _static(result: Plan) -> bool:
    return all(step.static for step in result.build.steps if step.ecosystem == "go")


def _prove(ctx: Facts, result: Plan, exec_form: bool, items: list[Instruction], workdir: str | None) -> None:
    """The closure is proven statically only for a pure Go program (see the rule's Fix safety)."""
    build = result.build
    env_static = any(i.name == "ENV" and re.search(r"\bCGO_ENABLED=[\"']?0\b", i.args) for i in items)
    static = all(step.static or env_static for step in build.steps)
    why = None
    if build.ecosystems != ["go"]:
        why = "only pure Go programs are proven without a build"
    elif not static:
        why = "CGO_ENABLED=0 is not set for the go build"
    elif result.twin.assumed:
        why = "the base tag does not name the Debian release"
    elif not exec_form:
        why = "the command is in shell form"
    elif build.apt_packages:
        why = "the stage installs OS packages"
    elif result.unproven:
        why = result.unproven[0]
    elif any(i.name == "USER" for i in items):
        why = "USER needs the passwd database"
    elif any(i.name == "ENV" and "$" in i.args for i in items):
        why = "an ENV value depends on the base image's variables"
    elif not any(_inside(a, c) for a in result.artifacts for c in result.copies):
        why = "the program is not a go build output"
    else:
        context, _ = ctx.build_context()
        if context is None:
            why = "no build context to read the Go sources from"
        else:
            sources = {f: context.read_text(f) or "" for f in context.files() if f.endswith(".go")}
            if any(f.startswith("vendor/") for f in sources):
                why = "vendored modules"
            else:
                go_mod = context.read_text("go.mod") if context.exists("go.mod") else None
                why = go_reads_nothing(sources, go_mod)
    if why is None:
        result.proven = (
            "a pure Go program (CGO_ENABLED=0, standard library only, no file access, exec-form command)"
        )
        if ctx.settings.split_runtime == "minimal":
            minimal = minimal_base(result.twin)
            if minimal:
                result.base = minimal
                result.copies = [c for c in result.copies if c != "/etc/ssl/certs/ca-certificates.crt"]
    else:
        result.unproven.insert(0, why)


def _minimal_from_facts(ctx: Facts, result: Plan, exec_form: bool, runtime: RuntimeFacts | None) -> None:
    """``split-runtime = "minimal"`` for a binary the built image shows is static (still verified)."""
    if result.proven or ctx.settings.split_runtime != "minimal" or runtime is None or not exec_form:
        return
    kinds = [runtime.files.get(path) for path in result.artifacts]
    if not kinds or result.packages or any(k is None or k.kind != "elf-static" for k in kinds):
        return
    minimal = minimal_base(result.twin)
    if minimal:
        result.base = minimal
        result.copies = [c for c in result.copies if c != "/etc/ssl/certs/ca-certificates.crt"]


def _env_values(result: Plan, runtime: RuntimeFacts | None) -> None:
    if result.twin.family == "same":
        return
    for instruction in result.metadata:
        if instruction.name != "ENV" or "$" not in instruction.args:
            continue
        names = instruction.value[0::2]
        if runtime is None or not all(name in runtime.env for name in names):
            result.unproven.append(f"ENV at line {instruction.line} expands a variable of the builder's base")
            continue
        for name in names:
            result.env_values[name] = runtime.env[name]
