"""What the twin carries besides the artifacts: users, CA bundle, zoneinfo, OS packages, the
libraries the artifacts link (from a built image), Python install trees, ENV values."""

from __future__ import annotations

import re

from ...analysis.facts import Facts
from ...analysis.runtime import RuntimeFacts
from ...syntax import Instruction
from ._model import BASE_LIBRARIES, Plan, go_static, inside


def system_files(ctx: Facts, result: Plan, items: list[Instruction], runtime: RuntimeFacts | None) -> None:
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


def ecosystem(ctx: Facts, result: Plan, workdir: str | None, runtime: RuntimeFacts | None) -> None:
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
    if ecosystems == ["rust"] and workdir:
        _rust_workdir(ctx, result, workdir)
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


def libraries(result: Plan, runtime: RuntimeFacts | None) -> None:
    if runtime is None:
        if any(
            e in ("c", "python") or (e == "go" and not go_static(result)) for e in result.build.ecosystems
        ):
            result.unproven.append(
                "the shared libraries the artifacts link are unknown until a build is inspected"
            )
        return
    needed: list[str] = []
    for path, kind in runtime.files.items():
        if any(inside(path, copied) for copied in result.copies + result.artifacts):
            needed += [soname for soname in kind.needed if soname not in needed]
    for soname in needed:
        package = runtime.library_packages.get(soname)
        if package:
            if package not in BASE_LIBRARIES and package not in result.packages:
                result.packages.append(package)
        elif (where := runtime.library_paths.get(soname)) and where not in result.copies:
            result.copies.append(where)
            result.ldconfig = True


def env_values(result: Plan, runtime: RuntimeFacts | None) -> None:
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


def directory_owners(result: Plan, runtime: RuntimeFacts | None) -> None:
    """COPY --from keeps the files' owners but creates the destination directory as root, 0755:
    give copied directories back the owner and mode the built original shows."""
    if runtime is None:
        return
    for path in dict.fromkeys(result.copies):
        kind = runtime.files.get(path)
        if kind is None or kind.kind != "directory" or not kind.owner:
            continue
        if kind.owner not in ("0:0", "") or kind.mode not in (0, 0o755):
            result.fixups.append((path, kind.owner, kind.mode))
    if result.fixups and result.base != result.twin.image:
        result.base = result.twin.image  # a minimal base has no shell to run chown in


def _rust_workdir(ctx: Facts, result: Plan, workdir: str) -> None:
    """Cargo's target/ holds every dependency's build (often GBs): carry the WORKDIR's context entries
    and the artifacts, not target/ — when the stage fills the WORKDIR only with ``COPY . .``."""
    context, _ = ctx.build_context()
    copies = [i for i in ctx.tree.stages[-1].instructions if i.name in ("COPY", "ADD")]
    whole = len(copies) == 1 and copies[0].args.split() in (
        ["."] * 2,
        [".", "./"],
        [".", workdir],
        [".", workdir + "/"],
    )
    if context is None or not whole or copies[0].flags:
        result.notes.append("target/ is carried with the WORKDIR")
        return
    entries = sorted(rel for rel in context.entries() if "/" not in rel and rel not in ("target", "."))
    result.copies = [c for c in result.copies if c != workdir]
    result.copies[:0] = [f"{workdir.rstrip('/')}/{rel}" for rel in entries] + [
        a for a in result.artifacts if inside(a, workdir) and a not in result.copies
    ]
    result.notes.append("target/ stays in the build stage, the release binary is copied")
