"""Planning a split: the builder (the original stage, named ``build``) and the runtime twin's text.

``plan(ctx)`` reads the one stage, finds its build steps, chooses the twin base and lists what the
twin copies from the builder; it returns a ``Plan``, a ``Refusal`` (shown, not fixed) or None.
Runtime facts (``ctx.session.runtime``, read from a built original) replace guesses: the Debian
release, whether an artifact is static, which libraries it links and which packages own them.
"""

from __future__ import annotations

import posixpath
import re

from ...analysis.facts import Facts
from ...analysis.runtime import RuntimeFacts
from ...shell import is_posix_shell
from ...syntax import Instruction
from ._carry import directory_owners, ecosystem, env_values, libraries, system_files
from ._ecosystems import BuildStep, StageBuild, read_stage
from ._model import SYSTEM_DIRS, Plan, Refusal, inside
from ._program import (
    BUILD_TOOL_WORDS,
    STANDARD_PATH,
    final_command,
    program_words,
    resolve,
)
from ._proof import minimal_from_facts, prove
from ._twin import NoTwin, twin_base

METADATA = frozenset(
    {"ENV", "ARG", "WORKDIR", "USER", "EXPOSE", "VOLUME", "LABEL", "STOPSIGNAL", "HEALTHCHECK", "ENTRYPOINT",
     "CMD", "SHELL", "ONBUILD", "MAINTAINER"}
)  # fmt: skip
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
    if final.platform:
        return Refusal(anchor, "a --platform stage is not split yet (the twin would need the same platform)")
    if any(i.name == "SHELL" and i.json and not is_posix_shell(tuple(i.value)) for i in final.instructions):
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
    env_values(result, runtime if tree.escape == "\\" else None)
    if not readable:
        result.unproven.append("a RUN script the rule cannot read")
    refusal = _after_build(ctx, runs, scripts, build, workdir)
    if refusal:
        return refusal
    _carry(ctx, result, command.argv, workdir, runtime)
    refusal = _scripts(ctx, result, workdir)
    if refusal:
        return refusal
    system_files(ctx, result, items, runtime)
    ecosystem(ctx, result, workdir, runtime)
    libraries(result, runtime)
    prove(ctx, result, command.exec_form, items, workdir)
    directory_owners(result, runtime)
    minimal_from_facts(ctx, result, command.exec_form, runtime)
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
        if not workdir or not inside(path, workdir):
            result.copies.append(path)
    healthcheck = [i for i in result.metadata if i.name == "HEALTHCHECK"]
    words = program_words(argv)
    for check in healthcheck[-1:]:
        words += program_words(list(check.value[1:]) if check.json else check.args.split()[1:2])
    for word in words:
        path = resolve(word, workdir, outputs)
        installed = word in result.build.runtime_packages  # e.g. curl for a HEALTHCHECK
        if path is None and "/" not in word and word not in BASE_PROGRAMS and not installed:
            path = _on_path(ctx, word, runtime)
            if path is None:
                result.unproven.append(f"`{word}` is not found on PATH among the build outputs")
                result.lookups.append(word)
        if path is None:
            continue
        result.artifacts.append(path)
        if not (workdir and inside(path, workdir)) and path not in result.copies:
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
