"""The verified fix path: ``dockopt --write --unsafe-fixes --verify Dockerfile``.

Some fixes change the image on purpose and can only be proven by building it (``Fix.
requires_verification``; the multi-stage split is the first). The engine never applies them, except
here:

1. fix the text as ``--write`` would (those fixes withheld) and see whether any finding left has a fix
   that requires verification; if none, that is the result;
2. build the original image (from a temporary copy of the context) and inspect it
   (``verify.inspect.inspect_image``: linked libraries, users, OS release…) — the facts the rules
   plan from;
3. fix again with the facts and the verified fixes allowed, then ``verify`` that rewrite against the
   original: both built, compared (for a split: config, runtime closure, explained drops and
   behaviour), exactly as ``dockopt verify`` does;
4. the verified rewrite is the result only when verification passes; otherwise the result is step
   1's and ``refusal`` says why.

Nothing here writes files: the front end (``formatter.py``) writes, shows or reports the result.
"""

from __future__ import annotations

import posixpath
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .closure import DEFAULT_PATH
from .docker import DockerCLI, EngineError

if TYPE_CHECKING:
    from optimizer.core.config import Settings
    from optimizer.core.findings import Finding
    from optimizer.engine.runner import Outcome
    from optimizer.rules.base import Rule

    from .pipeline import VerifyReport


@dataclass
class VerifiedResult:
    outcome: Outcome  # what to write or show
    pending: list[Finding] = field(default_factory=list)  # findings whose fix requires verification
    verified: bool = False  # the verified fixes are in ``outcome``
    refusal: str | None = None  # why they are not (None when there were none, or they passed)
    report: VerifyReport | None = None

    @property
    def pending_codes(self) -> list[str]:
        return sorted({f.code for f in self.pending})


def engine_problem(docker: DockerCLI | None = None) -> str | None:
    """None when a Docker engine answers; else the one line to print."""
    try:
        (docker or DockerCLI()).detect()
    except EngineError as exc:
        return f"error: --verify needs a Docker engine (DOCKER_HOST or a docker context): {exc}"
    return None


def needs_verification(outcome: Outcome, settings: Settings) -> list[Finding]:
    """Findings left on the output whose fix would be applied if it were verified."""
    from optimizer.engine.runner import wanted

    return [
        f
        for f in outcome.remaining
        if f.fix is not None and f.fix.requires_verification and wanted(f, settings, verified=True)
    ]


def verified_fix(
    text: str,
    settings: Settings,
    *,
    path: Path | None,
    context_dir: Path | None,
    smoke: Sequence[str] = (),
    docker: DockerCLI | None = None,
    progress: Callable[[str], None] | None = None,
    rules: list[Rule] | None = None,
    inspect: Callable[..., Any] | None = None,
) -> VerifiedResult:
    """Run the verified fix path on ``text`` (see the module docstring). Raises ParseError on bad input.

    ``rules`` replaces the selected rules and ``inspect`` the image inspection (tests).
    """
    from optimizer.engine import fix_text

    base = fix_text(text, settings, path=path, context_dir=context_dir, rules=rules)
    if base.error is not None:
        return VerifiedResult(base)
    pending = needs_verification(base, settings)
    result = VerifiedResult(base, pending)
    if not pending:
        return result
    codes = ", ".join(result.pending_codes)
    if context_dir is None or not context_dir.is_dir():
        result.refusal = f"{codes}: no build context to build the image in (give --context)"
        return result
    docker = docker or DockerCLI()
    say = progress or (lambda _m: None)
    wanted = _rule_paths(text, settings, path, context_dir, set(result.pending_codes), rules)
    try:
        facts, facts_note = _inspect_original(docker, text, path, context_dir, inspect, say, wanted)
    except EngineError as exc:
        result.refusal = f"{codes}: the original image could not be built or inspected ({_one_line(exc)})"
        return result
    candidate = fix_text(
        text, settings, path=path, context_dir=context_dir, rules=rules, runtime=facts, verified=True
    )
    if candidate.error is not None:
        result.refusal = f"{codes}: {candidate.error}"
        return result
    if candidate.output == base.output:
        result.refusal = f"{codes}: with the facts of the built image the rule proposes no change" + (
            f" ({facts_note})" if facts_note else ""
        )
        return result
    from .pipeline import verify

    say("verifying the rewrite (build, compare, run)")
    report = verify(
        path or Path("Dockerfile"),
        context_dir=context_dir,
        settings=settings,
        rules=rules,
        docker=docker,
        progress=progress,
        runtime=facts,
        verified=True,
        smoke=[*settings.smoke, *smoke],
        text=text,
    )
    result.report = report
    if report.status == "equivalent" and report.rewritten_text == candidate.output:
        result.outcome, result.verified = candidate, True
        return result
    result.refusal = f"{codes}: " + "; ".join(refusal_reasons(report, candidate.output))
    return result


def plan_facts(
    text: str,
    settings: Settings,
    *,
    path: Path | None,
    context_dir: Path,
    docker: DockerCLI,
    progress: Callable[[str], None] | None = None,
    rules: list[Rule] | None = None,
) -> tuple[Any, bool]:
    """For ``dockopt verify``: (runtime facts, verified) when some fix requires verification.

    ``dockopt verify`` is itself the proof, so such fixes are included there (with ``--unsafe-fixes``
    when they are unsafe), planned from the facts of the built original. (None, False) when no fix
    needs it or the text does not parse (verify reports that). Raises EngineError.
    """
    from optimizer.engine import fix_text
    from optimizer.syntax import ParseError

    try:
        base = fix_text(text, settings, path=path, context_dir=context_dir, rules=rules)
    except (ParseError, RecursionError):
        return None, False
    if base.error is not None or not needs_verification(base, settings):
        return None, False
    codes = {f.code for f in needs_verification(base, settings)}
    wanted = _rule_paths(text, settings, path, context_dir, codes, rules)
    facts, _ = _inspect_original(docker, text, path, context_dir, None, progress or (lambda _m: None), wanted)
    return facts, True


def refusal_reasons(report: VerifyReport, expected: str) -> list[str]:
    if report.problem is not None:
        return [report.problem.message]
    if report.rewritten_text != expected:
        return ["verify rewrote the file differently from the fix path (a dockopt bug; please report it)"]
    if report.split is not None:
        return report.split.reasons() or ["verification failed"]
    c = report.comparison
    if c is None:
        return ["no verdict"]
    out = []
    if c.unexplained:
        out.append(
            f"{len(c.unexplained)} unexplained file difference(s): "
            + ", ".join(d.path for d in c.unexplained[:5])
        )
    if c.config_differences:
        out.append("config differs: " + ", ".join(d.field for d in c.config_differences[:5]))
    return out or ["not equivalent"]


def _inspect_original(
    docker: DockerCLI,
    text: str,
    path: Path | None,
    context_dir: Path,
    inspect: Callable[..., Any] | None,
    say: Callable[[str], None],
    wanted: Sequence[str] = (),
) -> tuple[Any, str]:
    """Build the original and read its runtime facts: (facts or None, a note when there are none).

    Read: the files the image's command names, and ``wanted`` (what the rules asked for)."""
    from .workspace import Workspace

    if inspect is None:
        import importlib

        try:  # verify/inspect.py: built by the DO501 half; absent until it is merged
            inspect = importlib.import_module(f"{__package__}.inspect").inspect_image
        except (ImportError, AttributeError):
            inspect = None
    tag = f"dockopt-verify-{uuid.uuid4().hex[:12]}:facts"
    say("building the original image to inspect it")
    with Workspace(context_dir, text, path) as workspace:
        docker.build(text, workspace.context, tag, dockerfile_path=path)
    try:
        if inspect is None:
            return None, "this dockopt cannot inspect images yet"
        config = (docker.inspect(tag).get("Config") or {}) if hasattr(docker, "inspect") else {}
        paths = list(dict.fromkeys([*candidate_paths(config), *wanted]))
        return inspect(tag, paths, env=docker.env), ""
    finally:
        try:
            docker.remove(tag)
        except EngineError:
            pass


def _rule_paths(
    text: str,
    settings: Settings,
    path: Path | None,
    context_dir: Path | None,
    codes: set[str],
    rules: list[Rule] | None,
) -> list[str]:
    """The paths the rules of ``codes`` want read from the built original (``Rule.inspect_paths``):
    DO501 names the Python install trees, whose layout (site- or dist-packages) only the image shows."""
    from optimizer.analysis.facts import Facts
    from optimizer.engine import selected_rules
    from optimizer.syntax import parse

    chosen = [
        rule for rule in (rules if rules is not None else selected_rules(settings)) if rule.code in codes
    ]
    if not chosen:
        return []
    facts = Facts(parse(text), text, settings, path, context_dir)
    return [item for rule in chosen for item in rule.inspect_paths(facts)]


def candidate_paths(config: dict[str, Any]) -> list[str]:
    """The files the image's command names, as absolute paths: words of ENTRYPOINT/CMD that look like
    paths (relative ones under WORKDIR), and a bare program name joined with each PATH directory."""
    workdir = config.get("WorkingDir") or "/"
    env = dict(str(item).partition("=")[::2] for item in config.get("Env") or [])
    search = [d for d in (env.get("PATH") or DEFAULT_PATH).split(":") if d]
    argv = [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]
    out: list[str] = []
    for index, word in enumerate(argv):
        if not isinstance(word, str) or not word or word.startswith("-"):
            continue
        if word.startswith("/"):
            out.append(posixpath.normpath(word))
        elif index == 0 and "/" not in word:
            out.extend(posixpath.join(directory, word) for directory in search)
        elif "/" in word or "." in word:
            out.append(posixpath.normpath(posixpath.join(workdir, word)))
    return list(dict.fromkeys(out))


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
