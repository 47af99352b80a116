"""``verify()``: rewrite a Dockerfile in memory, build the original and the rewrite, compare and time them.

Nothing is written to the user's tree: the rewritten text lives in memory (the engine driver writes it
to a private temporary directory for the build), and every build runs against a temporary copy of the
context (see ``workspace``). The result is a ``VerifyReport`` that ``report`` renders as text, JSON or
markdown; its ``exit_code`` is 0 equivalent (or nothing to change), 1 not equivalent, 2 error.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .docker import DockerCLI, EngineError
from .measure import Measurement, Progress, measure
from .problems import Problem, build_text, original_failed, reason, rewrite_failed, syntax_notes

if TYPE_CHECKING:
    from optimizer.analysis.runtime import RuntimeFacts
    from optimizer.core.config import Settings
    from optimizer.rules.base import Rule

    from .compare import Comparison
    from .snapshot import Snapshot
    from .split import SplitComparison

ORIGINAL = "original"


@dataclass(frozen=True, slots=True)
class AppliedRule:
    code: str
    name: str
    summary: str
    count: int  # how many of its fixes were applied
    removes: tuple[str, ...]  # paths its fixes may remove from the image (the allowed differences)


@dataclass(slots=True)
class VerifyReport:
    dockerfile: str
    context: str
    target: str | None = None
    build_args: dict[str, str] = field(default_factory=dict)
    offline: bool = False
    runs: int = 1
    variant: str = "rewritten"
    unsafe_fixes: bool = False
    applied: list[AppliedRule] = field(default_factory=list)
    changed: bool = False
    rewritten_text: str | None = None
    notes: list[str] = field(default_factory=list)
    engine: str | None = None
    original: Measurement | None = None
    rewritten: Measurement | None = None
    comparison: Comparison | None = None
    edited_file: str | None = None
    edited_reason: str | None = None
    # A DO6xx rewrite's .dockerignore (its new text) and the file it leaves out that was edited for
    # one more rebuild (the original reruns the steps after its COPY; the rewrite should not).
    ignore_text: str | None = None
    ignored_file: str | None = None
    problem: Problem | None = None
    seconds: float = 0.0
    image_repository: str | None = None  # the repository of every image this run built (and removed)
    # A rewrite that changes the final image on purpose (a split) is judged by ``split.py`` instead
    # of file equality: config, runtime closure, explained drops, behaviour.
    split: SplitComparison | None = None
    smoke: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """ "error", "unchanged", "equivalent" or "not-equivalent"."""
        if self.problem is not None:
            return "error"
        if not self.changed:
            return "unchanged"
        if self.split is not None:
            return "equivalent" if self.split.equivalent else "not-equivalent"
        if self.comparison is None:
            return "error"
        return "equivalent" if self.comparison.equivalent else "not-equivalent"

    @property
    def exit_code(self) -> int:
        return {"equivalent": 0, "unchanged": 0, "not-equivalent": 1}.get(self.status, 2)

    @property
    def applied_codes(self) -> list[str]:
        return [rule.code for rule in self.applied]


def load_settings(
    dockerfile_path: str | Path,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    unsafe_fixes: bool = False,
    cache_strategy: str | None = None,
) -> Settings:
    """The settings the main command would use for this file: nearest config file, then the options.

    Raises ``optimizer.core.config.ConfigError`` (one line) for a broken config or an unknown selector.
    """
    from optimizer.core.config import CacheStrategy, Overrides, resolve_settings
    from optimizer.rules.catalogue import known_selector

    overrides = Overrides(
        select=tuple(select),
        ignore=tuple(ignore),
        unsafe_fixes=True if unsafe_fixes else None,
        cache_strategy=CacheStrategy(cache_strategy) if cache_strategy else None,
    )
    return resolve_settings(Path(dockerfile_path), overrides, known_selector)


def verify(
    dockerfile_path: str | Path,
    *,
    context_dir: str | Path | None = None,
    settings: Settings | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    offline: bool = False,
    runs: int = 1,
    rules: list[Rule] | None = None,
    docker: DockerCLI | None = None,
    progress: Progress | None = None,
    runtime: RuntimeFacts | None = None,
    verified: bool = False,
    smoke: Sequence[str] = (),
    split: bool | None = None,
    behaviour_timeout: float | None = None,
    text: str | None = None,
) -> VerifyReport:
    """Verify one rewrite of ``dockerfile_path`` (see ``verify_variants``)."""
    from optimizer.core.config import Settings

    return verify_variants(
        dockerfile_path,
        {"rewritten": settings or Settings()},
        context_dir=context_dir,
        target=target,
        build_args=build_args,
        offline=offline,
        runs=runs,
        rules=rules,
        docker=docker,
        progress=progress,
        runtime=runtime,
        verified=verified,
        smoke=smoke,
        split=split,
        behaviour_timeout=behaviour_timeout,
        text=text,
    )["rewritten"]


def verify_variants(
    dockerfile_path: str | Path,
    variants: Mapping[str, Settings],
    *,
    context_dir: str | Path | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    offline: bool = False,
    runs: int = 1,
    rules: list[Rule] | None = None,
    docker: DockerCLI | None = None,
    progress: Progress | None = None,
    measure_unchanged: bool = False,
    runtime: RuntimeFacts | None = None,
    verified: bool = False,
    smoke: Sequence[str] = (),
    split: bool | None = None,
    behaviour_timeout: float | None = None,
    verified_variants: Sequence[str] | None = None,
    text: str | None = None,
    given: Mapping[str, str] | None = None,
) -> dict[str, VerifyReport]:
    """One report per named settings variant, building the original once for all of them.

    Variants whose rewrite is the same text share one build. ``rules`` replaces the selected rules (for
    tests); ``docker`` defaults to the ``docker`` CLI with the current environment. When no variant
    changes anything nothing is built, unless ``measure_unchanged`` (the benchmark wants the original's
    numbers either way).

    ``runtime``/``verified`` are passed to the engine (the verified fix path: fixes that require
    verification are applied, planned with the facts of the built original); ``verified_variants``
    limits that to some variants. A rewrite that changes the final image on purpose (``split``
    True, or detected by ``split.structure_changed``) is judged by ``split.compare_split``: the
    images are run (``smoke`` commands too, ``behaviour_timeout`` seconds each). ``text`` is the
    Dockerfile's content when it is not to be read from ``dockerfile_path`` (stdin). ``given`` adds
    variants whose rewrite is given as text (a hand-written rewrite to judge; no rule is applied).
    """
    given = dict(given or {})
    if "original" in variants or "original" in given or set(variants) & set(given):
        raise ValueError("'original' is reserved for the unchanged Dockerfile; variant names are unique")
    started = time.perf_counter()
    path = Path(dockerfile_path)
    context = (
        Path(context_dir) if context_dir is not None else (path.parent if str(path.parent) else Path("."))
    )

    def new_report(name: str, unsafe_fixes: bool = False) -> VerifyReport:
        return VerifyReport(
            dockerfile=str(path),
            context=str(context),
            target=target,
            build_args=dict(build_args or {}),
            offline=offline,
            runs=runs,
            variant=name,
            unsafe_fixes=unsafe_fixes,
            smoke=list(smoke),
        )

    reports = {name: new_report(name, settings.unsafe_fixes) for name, settings in variants.items()}
    for name in given:
        reports[name] = new_report(name)

    def finish() -> dict[str, VerifyReport]:
        for report in reports.values():
            report.seconds = time.perf_counter() - started
        return reports

    def fail_all(problem: Problem, only: Sequence[str] | None = None) -> dict[str, VerifyReport]:
        for name in only or reports:
            if reports[name].problem is None:
                reports[name].problem = problem
        return finish()

    if not context.is_dir():
        return fail_all(Problem("input", f"{context}: build context is not a directory"))
    if text is None:
        text, problem = _read(path)
        if problem is not None:
            return fail_all(problem)
    assert text is not None

    rewrites: dict[str, str] = {}  # variant -> rewritten text, for the variants that change something
    for name, settings in variants.items():
        report = reports[name]
        use_verified = verified and (verified_variants is None or name in verified_variants)
        output, applied, problem, ignore = _rewrite(
            text,
            settings,
            path,
            context,
            rules,
            runtime=runtime if use_verified else None,
            verified=use_verified,
        )
        report.problem, report.applied = problem, applied
        if problem is None and (output != text or ignore is not None):
            report.changed, report.rewritten_text = True, output
            rewrites[name] = output
            if ignore is not None:
                report.ignore_text = ignore
                report.ignored_file = _ignored_file(context, path, ignore)
    for name, output in given.items():
        if output != text:
            reports[name].changed, reports[name].rewritten_text = True, output
            rewrites[name] = output
    measured_names = [name for name, report in reports.items() if report.problem is None]
    if not rewrites and not (measure_unchanged and measured_names):
        return finish()

    build_texts = {ORIGINAL: build_text(text, offline)}
    ignores: dict[str, str] = {}  # label -> its .dockerignore, for the rewrites that have their own
    label_of: dict[str, str] = {}
    for name, output in rewrites.items():
        candidate = build_text(output, offline)
        ignore = reports[name].ignore_text
        label_of[name] = next(
            (
                label
                for label, t in build_texts.items()
                if t == candidate and label != ORIGINAL and ignores.get(label) == ignore
            ),
            name,
        )
        build_texts.setdefault(label_of[name], candidate)
        if ignore is not None:
            ignores[label_of[name]] = ignore
    ignored_file = next((r.ignored_file for r in reports.values() if r.ignored_file), None)
    notes = syntax_notes(text, rewrites.values(), offline)
    for name in rewrites:
        reports[name].notes.extend(notes)

    from .split import structure_changed

    split_labels = {
        label_of[name]
        for name in rewrites
        if split or (split is None and structure_changed(text, rewrites[name], reports[name].applied_codes))
    }
    split_results: dict[str, SplitComparison] = {}
    split_problems: list[str] = []
    docker = docker or DockerCLI()

    def while_built(tags: Mapping[str, str], snapshots: Mapping[str, Snapshot]) -> None:
        if not split_labels or ORIGINAL not in snapshots:
            return
        from .splitrun import judge_splits

        allowed = {
            label_of[name]: {rule.code: rule.removes for rule in reports[name].applied} for name in rewrites
        }
        try:
            results = judge_splits(
                docker,
                text,
                tags,
                snapshots,
                {label: allowed.get(label, {}) for label in split_labels},
                {label_of[name]: output for name, output in rewrites.items()},
                smoke=smoke,
                timeout=behaviour_timeout,
                progress=progress,
            )
        except Exception as exc:  # noqa: BLE001 - a bug here must cost the verdict, not a traceback
            split_problems.append(
                f"the split could not be judged ({type(exc).__name__}: {exc}); compared file by file"
            )
            return
        split_results.update(results)

    try:
        info = docker.detect()
    except EngineError as exc:
        return fail_all(Problem("engine", str(exc)), measured_names)
    engine = f"Docker {info.server_version} (API {info.api_version}" + (
        f", buildx {info.buildx_version})" if info.buildx_version else ")"
    )
    try:
        measured = measure(
            docker,
            context,
            build_texts,
            dockerfile_path=path,
            target=target,
            build_args=build_args,
            runs=runs,
            progress=progress,
            ignores=ignores,
            ignored_file=ignored_file,
            while_built=while_built if split_labels else None,
        )
    except EngineError as exc:
        return fail_all(Problem("engine", str(exc)), measured_names)

    for name in measured_names:
        report = reports[name]
        report.engine = engine
        report.image_repository = measured.repository
        report.original = measured.measurements[ORIGINAL]
        if name in rewrites:
            report.rewritten = measured.measurements[label_of[name]]
        if measured.edit_target is not None:
            report.edited_file, report.edited_reason = measured.edit_target.path, measured.edit_target.reason
        if measured.skipped_files:
            report.notes.append(
                "not copied to the temporary context (not regular files): "
                + ", ".join(measured.skipped_files[:5])
            )
        report.notes.extend(measured.cleanup_problems)

    edit_failures = {label: f for label, f in measured.failures.items() if f.phase == "edit"}
    for label, failure in edit_failures.items():  # the builds themselves worked: a note, not a verdict
        del measured.failures[label]
        for name in measured_names:
            if label in (ORIGINAL, label_of.get(name)):
                reports[name].notes.append(
                    f"the {label} rebuild after editing {reports[name].edited_file} failed "
                    f"({reason(failure.error)}); its rebuild-after-edit time is incomplete"
                )
    original_failure = measured.failures.get(ORIGINAL)
    if original_failure is not None:
        return fail_all(original_failed(original_failure.error, text, offline), measured_names)
    for name in rewrites:
        report = reports[name]
        rewrite_failure = measured.failures.get(label_of[name])
        if rewrite_failure is not None:
            report.problem = rewrite_failed(
                rewrite_failure.error, report.applied_codes, rewrites[name], offline
            )
            continue
        from .compare import compare_snapshots

        report.split = split_results.get(label_of[name])
        report.notes.extend(split_problems if label_of[name] in split_labels else [])
        if report.split is not None:  # judged as a split: file equality is not the question
            continue
        report.comparison = compare_snapshots(
            measured.snapshots[ORIGINAL],
            measured.snapshots[label_of[name]],
            allowed_paths={rule.code: rule.removes for rule in report.applied},
            changed_by={rule.code: rule.name for rule in report.applied},
        )
    return finish()


def _read(path: Path) -> tuple[str | None, Problem | None]:
    from optimizer.io import InputError, read_file

    try:
        return read_file(path), None
    except InputError as exc:
        return None, Problem("input", str(exc))
    except OSError as exc:
        return None, Problem("input", f"{path}: {exc.strerror or exc}")


def _ignored_file(context: Path, path: Path, ignore: str) -> str | None:
    """A file the original build sends and ``ignore`` (the rewrite's .dockerignore) leaves out, to
    edit for the rebuild measurement: a log or a text document first, then the shallowest."""
    from optimizer.analysis.context import BuildContext
    from optimizer.analysis.dockerignore import IgnoreFileError, IgnoreMatcher

    try:
        before = BuildContext(context, path)
        after = IgnoreMatcher.from_text(ignore)
        sent = before.files()
    except (IgnoreFileError, OSError):
        return None
    dropped = [
        f for f in sent if after.excludes(f) and (context / f).is_file() and not (context / f).is_symlink()
    ]
    if not dropped:
        return None
    preferred = (".log", ".md", ".txt", ".rst")
    return min(
        dropped, key=lambda f: (not f.lower().endswith(preferred), f.count("/"), "/.git/" in "/" + f, f)
    )


def _rewrite(
    text: str,
    settings: Settings,
    path: Path,
    context: Path,
    rules: list[Rule] | None,
    *,
    runtime: RuntimeFacts | None = None,
    verified: bool = False,
) -> tuple[str, list[AppliedRule], Problem | None, str | None]:
    """(rewritten text, applied rules, problem, the new .dockerignore text or None) — the same
    engine run as ``dockopt --write``."""
    from optimizer.engine import fix_text
    from optimizer.rules.base import all_rules
    from optimizer.syntax import ParseError

    try:
        outcome = fix_text(
            text, settings, path=path, context_dir=context, rules=rules, runtime=runtime, verified=verified
        )
    except ParseError as exc:
        return text, [], Problem("input", exc.format(str(path))), None
    except RecursionError:
        return text, [], Problem("input", f"{path}: input too deeply nested to process"), None
    except Exception as exc:  # noqa: BLE001 - a crashing rule must not become a traceback here
        message = f"{path}: internal error: a rule crashed ({type(exc).__name__}: {exc}); please report it"
        return text, [], Problem("internal", message), None
    if outcome.error is not None:
        return text, [], Problem("internal", f"{path}: internal error: {outcome.error}"), None
    classes: dict[str, object] = {rule.code: rule for rule in all_rules()}
    classes.update({rule.code: rule for rule in rules or ()})  # instances may carry their own data
    counts: dict[str, int] = {}
    for finding in outcome.applied:
        counts[finding.code] = counts.get(finding.code, 0) + 1
    applied = []
    for code, count in sorted(counts.items()):
        rule = classes.get(code)
        applied.append(
            AppliedRule(
                code,
                getattr(rule, "name", code),
                getattr(rule, "summary", ""),
                count,
                tuple(getattr(rule, "removes", ())),
            )
        )
    ignore = outcome.files[0].after if outcome.files else None  # the ignore file the build reads
    return outcome.output, applied, None, ignore
