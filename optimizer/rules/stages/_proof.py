"""The static proof (see DO501's Fix safety) and the minimal runtime choice."""

from __future__ import annotations

import re

from ...analysis.facts import Facts
from ...analysis.runtime import RuntimeFacts
from ...syntax import Instruction
from ._model import Plan, inside
from ._program import go_reads_nothing
from ._twin import minimal_base


def prove(ctx: Facts, result: Plan, exec_form: bool, items: list[Instruction], workdir: str | None) -> None:
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
    elif not any(inside(a, c) for a in result.artifacts for c in result.copies):
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


def minimal_from_facts(ctx: Facts, result: Plan, exec_form: bool, runtime: RuntimeFacts | None) -> None:
    """``split-runtime = "minimal"`` for a binary the built image shows is static (still verified)."""
    if result.proven or ctx.settings.split_runtime != "minimal" or runtime is None or not exec_form:
        return
    if result.fixups or result.ldconfig:  # they need a shell in the runtime stage
        return
    kinds = [runtime.files.get(path) for path in result.artifacts]
    if not kinds or result.packages or any(k is None or k.kind != "elf-static" for k in kinds):
        return
    minimal = minimal_base(result.twin)
    if minimal:
        result.base = minimal
        result.copies = [c for c in result.copies if c != "/etc/ssl/certs/ca-certificates.crt"]
