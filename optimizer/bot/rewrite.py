"""Which Dockerfiles change and how: the same discovery, configuration and engine run as
``dockopt --write``, over a checkout of the base branch, optionally proven by ``dockopt verify``.

With ``--verify`` a file is proposed only with evidence: a rewrite that verify finds equivalent is
proposed as verified. Unsafe fixes are fixes that need that proof, so when the rewrite with them is
not shown equivalent, the safe-only rewrite is tried in the same verify run (the original is built
once). A rewrite that verify shows to differ or to fail its build is left out, with the reason in
the pull request; when verify cannot build the original at all, the safe-only rewrite is proposed
as "not verified" and says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .git import REGULAR_MODES, Checkout

if TYPE_CHECKING:
    from optimizer.core.config import Overrides, Settings
    from optimizer.verify.docker import DockerCLI
    from optimizer.verify.pipeline import VerifyReport


class PlanError(Exception):
    """The rewrite cannot be planned at all (a broken config file, no Docker engine for --verify)."""


@dataclass
class Verification:
    verified: bool
    note: str = ""  # why it is not verified, or what was dropped to verify it
    report: VerifyReport | None = None


@dataclass
class FileRewrite:
    path: str  # relative to the repository root, with "/"
    mode: str
    old_blob: str
    before: str
    after: str
    applied: dict[str, int]  # rule code -> number of fixes applied
    unsafe: tuple[str, ...] = ()  # codes of the rules whose applied fixes were unsafe
    verification: Verification | None = None

    @property
    def lines_changed(self) -> tuple[int, int]:
        """(added, removed) lines in the unified diff."""
        from optimizer.report.diff import unified_diff

        added = removed = 0
        for line in unified_diff(self.before, self.after, self.path).splitlines():
            if line.startswith("+") and not line.startswith("+++"):
                added += 1
            elif line.startswith("-") and not line.startswith("---"):
                removed += 1
        return added, removed


@dataclass
class Plan:
    rewrites: list[FileRewrite] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (path, why) for --verify rejects
    warnings: list[str] = field(default_factory=list)  # files that could not be processed
    examined: int = 0


@dataclass(frozen=True)
class VerifyOptions:
    docker: DockerCLI | None = None
    offline: bool = False


def _counts(applied) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in applied:
        counts[finding.code] = counts.get(finding.code, 0) + 1
    return dict(sorted(counts.items()))


def plan_rewrites(
    checkout: Checkout,
    scope: str,
    overrides: Overrides,
    verify: VerifyOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> Plan:
    """Rewrite every Dockerfile under ``scope`` (a path relative to the repository root) in the
    checkout's files, in memory; the checkout is not written."""
    from optimizer.core.config import ConfigError, SettingsResolver
    from optimizer.core.findings import Applicability
    from optimizer.discovery import find_dockerfiles
    from optimizer.rules.catalogue import known_selector

    root = checkout.tree / scope if scope not in ("", ".") else checkout.tree
    if not root.exists():
        raise PlanError(f"{scope}: not in the base branch ({checkout.commit[:12]})")
    try:
        resolver = SettingsResolver(overrides, known_selector)
    except ConfigError as exc:
        raise PlanError(str(exc)) from None
    files = find_dockerfiles(root) if root.is_dir() else [root]
    plan = Plan()
    for path in files:
        relative = path.relative_to(checkout.tree).as_posix()
        entry = checkout.entries.get(relative)
        if entry is None or entry.mode not in REGULAR_MODES:
            continue  # a symlink (its target is a file of its own) or not tracked
        plan.examined += 1
        try:
            settings = resolver.for_path(path)
        except ConfigError as exc:
            raise PlanError(_inside(str(exc), checkout.tree)) from None
        outcome, problem = _fix(path, relative, settings)
        if problem is not None:
            plan.warnings.append(problem)
            continue
        assert outcome is not None
        if not outcome.any_change:
            continue
        unsafe = tuple(sorted({f.code for f in outcome.applied if f.applicability is Applicability.UNSAFE}))
        seconds = _second_files(checkout, outcome, relative, unsafe, plan)
        if not outcome.changed:
            plan.rewrites += seconds  # only its .dockerignore changes
            continue
        own = [f for f in outcome.applied if not (f.fix and f.fix.file_edits and seconds)]
        rewrite = FileRewrite(
            relative, entry.mode, entry.blob, outcome.input, outcome.output, _counts(own), unsafe
        )
        if verify is not None:
            if progress:
                progress(f"verifying {relative}")
            verified = _verified(rewrite, path, relative, settings, verify, plan)
            if verified is None:
                continue
            rewrite = verified
        plan.rewrites.append(rewrite)
        plan.rewrites += seconds
    return plan


_NO_BLOB = "0" * 40


def _second_files(
    checkout: Checkout, outcome, relative: str, unsafe: tuple[str, ...], plan: Plan
) -> list[FileRewrite]:
    """The files beside a Dockerfile its fixes change (its .dockerignore), as rewrites of their own;
    the fixes that asked for them are counted there. A file another Dockerfile's rewrite already
    changes is left for the next run (each was planned against the base branch's text)."""
    out: list[FileRewrite] = []
    taken = {r.path for r in plan.rewrites}
    for change in outcome.files:
        try:
            path = change.path.resolve().relative_to(checkout.tree.resolve()).as_posix()
        except ValueError:
            plan.warnings.append(f"{relative}: {change.path.name} lies outside the repository; not changed")
            continue
        if path in taken:
            plan.warnings.append(
                f"{relative}: {path} is already changed for another Dockerfile; run again after merging"
            )
            continue
        entry = checkout.entries.get(path)
        if change.before is not None and (entry is None or entry.mode not in REGULAR_MODES):
            plan.warnings.append(f"{relative}: {path} is not a tracked regular file; not changed")
            continue
        codes = [
            f for f in outcome.applied if f.fix and any(e.path == str(change.path) for e in f.fix.file_edits)
        ]
        mode, blob = (entry.mode, entry.blob) if entry is not None else ("100644", _NO_BLOB)
        out.append(FileRewrite(path, mode, blob, change.before or "", change.after, _counts(codes), unsafe))
    return out


def _inside(message: str, tree: Path) -> str:
    """Messages name files in the temporary checkout; show them as repository paths."""
    return message.replace(str(tree) + "/", "")


def _fix(path: Path, relative: str, settings: Settings):
    """(outcome, None) or (None, a one-line problem) — the engine run ``dockopt --write`` makes."""
    from optimizer.engine import fix_text
    from optimizer.io import InputError, read_file
    from optimizer.syntax import ParseError

    try:
        text = read_file(path)
        outcome = fix_text(text, settings, path=path, context_dir=path.parent)
    except InputError as exc:
        return None, f"{relative}: {exc.message}; left unchanged"
    except ParseError as exc:
        return None, exc.format(relative) + "; left unchanged"
    except RecursionError:
        return None, f"{relative}: input too deeply nested to process; left unchanged"
    except Exception as exc:  # noqa: BLE001 - one rule's bug must not stop the whole pull request
        return (
            None,
            f"{relative}: internal error ({type(exc).__name__}: {exc}); left unchanged, please report it",
        )
    if outcome.error is not None:
        return None, f"{relative}: internal error: {outcome.error}; left unchanged"
    return outcome, None


def _verified(
    rewrite: FileRewrite, path: Path, relative: str, settings: Settings, options: VerifyOptions, plan: Plan
) -> FileRewrite | None:
    """The rewrite verify vouches for (see the module docstring), or None when none is proposed."""
    from optimizer.verify.pipeline import verify_variants

    variants = {"rewritten": settings}
    if settings.unsafe_fixes:
        variants["safe"] = replace(settings, unsafe_fixes=False)
    reports = verify_variants(
        path, variants, context_dir=path.parent, docker=options.docker, offline=options.offline
    )
    for report in reports.values():
        if report.problem is not None and report.problem.kind == "engine":
            raise PlanError(f"--verify: {report.problem.message}")
        # The reports name the files as the repository does, not as the temporary checkout.
        report.dockerfile = relative
        report.context = Path(relative).parent.as_posix()
    full = reports["rewritten"]
    safe = reports.get("safe")
    if full.status == "equivalent":
        return _with_report(rewrite, full, Verification(True, report=full))
    why = _why_not(full)
    if safe is not None and safe.status == "equivalent":
        dropped = ", ".join(code for code in full.applied_codes if code not in safe.applied_codes)
        note = f"unsafe fixes left out ({dropped or 'none'}): {why}"
        return replace(_with_report(rewrite, safe, Verification(True, note, safe)), unsafe=())
    if safe is not None and safe.status == "unchanged":
        plan.left_out.append((relative, f"its unsafe fixes were not verified: {why}"))
        return None
    candidate = safe or full
    if candidate.problem is not None and candidate.problem.kind == "original-build":
        note = "the original does not build here; details below"
        verification = Verification(False, note, candidate)
        return replace(_with_report(rewrite, candidate, verification), unsafe=() if safe else rewrite.unsafe)
    plan.left_out.append((relative, _why_not(candidate)))
    return None


def _with_report(rewrite: FileRewrite, report: VerifyReport, verification: Verification) -> FileRewrite:
    text = report.rewritten_text if report.rewritten_text is not None else rewrite.after
    applied = {rule.code: rule.count for rule in report.applied} or rewrite.applied
    return replace(rewrite, after=text, applied=applied, verification=verification)


def _why_not(report: VerifyReport) -> str:
    if report.problem is not None:
        return report.problem.message
    if report.status == "not-equivalent" and report.split is not None:
        return "verify refused the split: " + "; ".join(report.split.reasons())
    if report.status == "not-equivalent" and report.comparison is not None:
        parts = []
        if report.comparison.unexplained:
            parts.append(f"{len(report.comparison.unexplained)} unexplained file difference(s)")
        if report.comparison.config_differences:
            parts.append(f"{len(report.comparison.config_differences)} config difference(s)")
        return "verify found the images differ: " + (" and ".join(parts) or "not equivalent")
    return f"verify could not decide ({report.status})"
