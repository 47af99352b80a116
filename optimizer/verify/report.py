"""A VerifyReport as text (terminal), JSON (tools, the benchmark) or markdown (pull-request bodies).

All three show the same facts: the original-vs-rewritten table with ratios, the verdict, unexplained
differences (with the applied rules they could come from), allowed differences grouped by rule, and on
failure the one-line reason plus the failing step and the end of the build log.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

from .describe import _lines_for, comparison_to_dict, human_size
from .measure import Measurement, median
from .pipeline import VerifyReport

STEP_WIDTH = 70


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def ratio(before: float | int | None, after: float | int | None) -> str:
    if before is None or after is None:
        return ""
    if before == 0:
        return "-" if after else "1.00×"
    return f"{after / before:.2f}×"


def _hits(m: Measurement | None) -> str:
    hits = m.cache_hits if m else None
    return "-" if hits is None else f"{hits[0]}/{hits[1]} steps"


def table_rows(report: VerifyReport) -> list[tuple[str, str, str, str]]:
    """(metric, original, rewritten, rewritten/original) for the measured values."""
    a, b = report.original, report.rewritten
    if a is None or b is None:
        return []

    def row(name: str, get, show) -> tuple[str, str, str, str]:
        x, y = get(a), get(b)
        return name, show(x), show(y), ratio(x, y)

    return [
        row("image size", lambda m: m.image_size, human_size),
        row("layers", lambda m: m.layers, lambda v: "?" if v is None else str(v)),
        row("cold build", lambda m: m.cold_median, seconds),
        row("no-op rebuild", lambda m: m.noop_median, seconds),
        row("rebuild after edit", lambda m: m.edit_median, seconds),
        ("cache hits after edit", _hits(a), _hits(b), ""),
    ] + (
        [
            row("rebuild after editing an ignored file", lambda m: median(m.ignored_edit), seconds),
            ("cache hits after that edit", _ignored_hits(a), _ignored_hits(b), ""),
        ]
        if report.ignored_file and (a.ignored_edit or b.ignored_edit)
        else []
    )


def _ignored_hits(m: Measurement | None) -> str:
    hits = m.ignored_hits if m else None
    return "-" if hits is None else f"{hits[0]}/{hits[1]} steps"


def _shorten(text: str, width: int = STEP_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _applied_line(report: VerifyReport) -> str:
    parts = [f"{r.code} {r.name}" + (f" ×{r.count}" if r.count > 1 else "") for r in report.applied]
    return ", ".join(parts) or "none"


def _header(report: VerifyReport) -> list[str]:
    where = [f"context {report.context}"]
    if report.target:
        where.append(f"target {report.target}")
    if report.build_args:
        where.append("build args " + " ".join(f"{k}={v}" for k, v in report.build_args.items()))
    fixes = "safe and unsafe fixes" if report.unsafe_fixes else "safe fixes"
    lines = [f"dockopt verify {report.dockerfile} ({', '.join(where)}; {fixes})"]
    if report.engine:
        timing = f"median of {report.runs} runs" if report.runs > 1 else "one run each"
        lines.append(f"engine: {report.engine}; timings: {timing}")
    if report.changed:
        lines.append(f"applied: {_applied_line(report)}")
    lines.extend(f"note: {note}" for note in report.notes)
    return lines


def _verdict(report: VerifyReport) -> str:
    if report.split is not None:
        return _split_verdict(report)
    c = report.comparison
    assert c is not None
    allowed = sum(len(d) for d in c.allowed.values())
    if c.equivalent:
        extra = []
        if allowed:
            extra.append(f"{allowed} difference(s) allowed by the applied rules")
        if c.volatile:
            extra.append(f"{len(c.volatile)} volatile path(s) ignored")
        tail = f" ({'; '.join(extra)})" if extra else ""
        return f"equivalent: yes, same files and config{tail}"
    counts = []
    if c.unexplained:
        counts.append(f"{len(c.unexplained)} unexplained path difference(s)")
    if c.config_differences:
        counts.append(f"{len(c.config_differences)} config difference(s)")
    return f"equivalent: NO, {' and '.join(counts)} (applied: {', '.join(report.applied_codes) or 'none'})"


def _split_verdict(report: VerifyReport) -> str:
    s = report.split
    assert s is not None
    if s.equivalent:
        return (
            "equivalent: yes, as a split (the final image changes on purpose): same config, runtime closure "
            f"present ({s.closure_size} path(s)), {len(s.dropped)} dropped path(s) all explained, same behaviour"
        )
    return "equivalent: NO, as a split: " + "; ".join(s.reasons())


def _split_lines(report: VerifyReport, limit: int) -> list[str]:
    """The four checks of a split verdict, one block each."""
    s = report.split
    assert s is not None
    ok = {True: "ok", False: "FAILED"}
    lines = [f"config (what the Dockerfile sets): {ok[not s.config_differences]}"]
    lines.extend("  " + d.describe() for d in s.config_differences[:limit])
    lines.append(f"runtime closure ({s.closure_size} path(s)): {ok[not s.closure_problems]}")
    lines.extend("  " + p.describe() for p in s.closure_problems[:limit])
    lines.extend(f"  note: {n}" for n in s.closure_notes[:limit])
    unexplained = s.unexplained_drops
    counts = ", ".join(f"{n} {k}" for k, n in sorted(_kinds(s).items()))
    lines.append(f"dropped paths: {len(s.dropped)} ({counts or 'none explained'}): {ok[not unexplained]}")
    if unexplained:
        lines.append(f"  {len(unexplained)} not explained:")
        lines.extend(f"    - {d.path} ({d.kind})" for d in unexplained[:limit])
        if len(unexplained) > limit:
            lines.append(f"    ... {len(unexplained) - limit} more")
    if s.changed_outside:
        lines.append(f"changed outside the closure (not judged): {len(s.changed_outside)} path(s)")
    lines.append(f"behaviour: {ok[s.behaviour_ran and not s.behaviour] if s.behaviour_ran else 'NOT RUN'}")
    if s.observed is not None:
        from .behaviour import summary

        lines.append(f"  original: {summary(s.observed[0])}")
        lines.append(f"  rewrite:  {summary(s.observed[1])}")
    lines.extend("  " + b.describe() for b in s.behaviour[:limit])
    lines.extend(f"  note: {n}" for n in s.behaviour_notes[:limit])
    if report.smoke:
        lines.append("  smoke: " + "; ".join(report.smoke))
    return lines


def _kinds(s) -> dict[str, int]:
    counts: dict[str, int] = {}
    for d in s.dropped:
        if d.explained_by:
            kind = d.explained_by.split(" (", 1)[0].split(" ", 1)[0]
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def _not_declared(report: VerifyReport) -> str:
    return f"not declared by any applied rule ({', '.join(report.applied_codes) or 'none'})"


def _difference_lines(report: VerifyReport, limit: int) -> list[str]:
    if report.split is not None:
        return _split_lines(report, limit)
    c = report.comparison
    assert c is not None
    lines: list[str] = []
    if c.unexplained:
        lines.append(f"unexplained differences: {_not_declared(report)}")
        lines.extend(_lines_for(c.unexplained, limit))
    if c.config_differences:
        lines.append(f"config differences: {_not_declared(report)}")
        lines.extend("  " + d.describe() for d in c.config_differences[:limit])
    if c.allowed:
        lines.append("allowed differences, by rule:")
        by_code = {r.code: r for r in report.applied}
        for code, diffs in c.allowed.items():
            rule = by_code.get(code)
            declared = f", declares {', '.join(rule.removes)}" if rule and rule.removes else ""
            name = f" {rule.name}" if rule else ""
            lines.append(f"  {code}{name} ({len(diffs)} path(s){declared}):")
            lines.extend(_lines_for(diffs, limit, indent="    "))
    if c.volatile and not c.equivalent:  # an equivalent verdict already counts them
        lines.append(f"volatile (ignored): {len(c.volatile)} path(s)")
    return lines


_STEP_NUMBER = re.compile(r"^\[\s*(?:(\S+)\s+)?(\d+)/\d+\]")


def step_order(name: str) -> tuple[str, int]:
    """Sort key for "[stage 3/7] RUN ..." names: BuildKit reports cached steps in no particular order."""
    match = _STEP_NUMBER.match(name)
    return (match.group(1) or "", int(match.group(2))) if match else ("~", 0)


def _cache_lines(report: VerifyReport) -> list[str]:
    if report.edited_file is None:
        if report.original is not None:
            return [
                "rebuild after edit: not measured (the Dockerfile copies no source file from the context)"
            ]
        return []
    lines = [
        f"rebuild after editing {report.edited_file} ({report.edited_reason}; "
        "edited in a temporary copy of the context):"
    ]
    for label, m in (("original", report.original), ("rewritten", report.rewritten)):
        if m is None or not m.edit or m.cache_hits is None:
            continue
        cached, total = m.cache_hits
        lines.append(f"  {label}: {cached} of {total} steps cached")
        steps = [(step, "cached ") for step in m.edit_cached] + [
            (step, "rebuilt") for step in m.edit_executed
        ]
        for step, how in sorted(steps, key=lambda item: step_order(item[0])):
            lines.append(f"    {how} {_shorten(step)}")
    return lines


def _ignored_lines(report: VerifyReport) -> list[str]:
    """The rebuild after editing a file the rewrite's .dockerignore leaves out (DO6xx)."""
    if not report.ignored_file:
        return []
    lines = [f"rebuild after editing {report.ignored_file}, which the rewritten .dockerignore leaves out:"]
    for label, m in (("original", report.original), ("rewritten", report.rewritten)):
        hits = m.ignored_hits if m is not None else None
        if m is None or hits is None:
            continue
        lines.append(f"  {label}: {hits[0]} of {hits[1]} steps cached")
        for step in m.ignored_edit_executed:
            lines.append(f"    rebuilt {_shorten(step)}")
    return lines


def _problem_lines(report: VerifyReport) -> list[str]:
    p = report.problem
    assert p is not None
    # Bad input reads like the main command's: "path:line:col: message".
    lines = [p.message if p.kind == "input" else f"error: {p.message}"]
    if p.failing_step:
        lines.append(f"  failing step: {p.failing_step}")
    if p.kind == "rewritten-build":
        names = {r.code: r.name for r in report.applied}
        lines.append("  applied rules: " + ", ".join(f"{c} ({names.get(c, '?')})" for c in p.rules))
    if p.details:
        lines.append("  end of the build log:")
        lines.extend("    " + line for line in p.details)
    return lines


def render_text(report: VerifyReport, limit: int = 20) -> str:
    if report.problem is not None and report.problem.kind in ("input", "config", "engine", "internal"):
        return "\n".join(_problem_lines(report)) + "\n"
    lines = _header(report)
    if not report.changed:
        lines.append("nothing to verify: dockopt makes no change to this Dockerfile with these settings")
        return "\n".join(lines) + "\n"
    if report.problem is not None:  # a build failed: the measurements are incomplete
        return "\n".join([*lines, *_problem_lines(report)]) + "\n"
    rows = table_rows(report)
    if rows:
        head = ("", "original", "rewritten", "rewritten/original")
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
        lines.append("")
        for r in [head, *rows]:
            cells = [r[0].ljust(widths[0])] + [r[i].rjust(widths[i]) for i in (1, 2, 3)]
            lines.append("  " + "  ".join(cells).rstrip())
        lines.append("")
        lines.extend(_cache_lines(report))
        lines.extend(_ignored_lines(report))
    if report.comparison is not None or report.split is not None:
        lines.append(_verdict(report))
        lines.extend(_difference_lines(report, limit))
    return "\n".join(lines) + "\n"


def _measurement_dict(m: Measurement | None) -> dict[str, Any] | None:
    if m is None:
        return None
    data = asdict(m)
    hits = m.cache_hits
    data.update(
        image_size=m.image_size,
        cold_median=m.cold_median,
        noop_median=m.noop_median,
        edit_median=m.edit_median,
        cache_hits=None if hits is None else {"cached": hits[0], "steps": hits[1]},
    )
    return data


def to_dict(report: VerifyReport) -> dict[str, Any]:
    a, b = report.original, report.rewritten
    ratios = {}
    if a is not None and b is not None:
        for key, get in (
            ("image_size", lambda m: m.image_size),
            ("layers", lambda m: m.layers),
            ("cold_build", lambda m: m.cold_median),
            ("noop_rebuild", lambda m: m.noop_median),
            ("rebuild_after_edit", lambda m: m.edit_median),
        ):
            x, y = get(a), get(b)
            ratios[key] = None if x in (None, 0) or y is None else y / x
    return {
        "dockerfile": report.dockerfile,
        "context": report.context,
        "target": report.target,
        "build_args": report.build_args,
        "offline": report.offline,
        "runs": report.runs,
        "variant": report.variant,
        "unsafe_fixes": report.unsafe_fixes,
        "status": report.status,
        "exit_code": report.exit_code,
        "changed": report.changed,
        "applied": [asdict(r) for r in report.applied],
        "notes": report.notes,
        "engine": report.engine,
        "edited_file": report.edited_file,
        "edited_reason": report.edited_reason,
        "ignored_file": report.ignored_file,
        "original": _measurement_dict(a),
        "rewritten": _measurement_dict(b),
        "ratios": ratios,
        "comparison": comparison_to_dict(report.comparison) if report.comparison is not None else None,
        "split": report.split.to_dict() if report.split is not None else None,
        "smoke": report.smoke,
        "problem": asdict(report.problem) if report.problem is not None else None,
        "rewritten_text": report.rewritten_text,
        "seconds": report.seconds,
    }


def render_json(report: VerifyReport) -> str:
    return json.dumps(to_dict(report), indent=2, default=list) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(report: VerifyReport, limit: int = 20) -> str:
    lines = [f"### dockopt verify: `{report.dockerfile}`", ""]
    if report.problem is not None and report.problem.kind in ("input", "config", "engine", "internal"):
        return "\n".join([*lines, f"**Error:** {_md(report.problem.message)}", ""])
    meta = [f"fixes: {'safe and unsafe' if report.unsafe_fixes else 'safe'}"]
    if report.changed:
        meta.append(f"applied: {', '.join(f'`{r.code}` {r.name}' for r in report.applied)}")
    if report.engine:
        meta.append(f"engine: {report.engine}; timings: median of {report.runs} run(s)")
    lines.extend(f"- {_md(m)}" for m in [*meta, *report.notes])
    lines.append("")
    if not report.changed:
        lines.extend(
            ["dockopt makes no change to this Dockerfile with these settings: nothing to verify.", ""]
        )
        return "\n".join(lines)
    rows = table_rows(report) if report.problem is None else []
    if rows:
        lines += ["| | original | rewritten | rewritten / original |", "|---|---:|---:|---:|"]
        lines += [f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} |" for r in rows]
        lines.append("")
        if report.edited_file:
            lines += [f"Rebuild after editing `{report.edited_file}` ({report.edited_reason}).", ""]
    if report.problem is not None:
        lines.append("```")
        lines.extend(_problem_lines(report))
        lines += ["```", ""]
    elif report.comparison is not None or report.split is not None:
        verdict = _verdict(report)
        lines += [f"**{_md(verdict)}**", ""]
        details = _difference_lines(report, limit)
        if details:
            lines += ["<details><summary>differences</summary>", "", "```", *details, "```", "</details>", ""]
    return "\n".join(lines)


def render(report: VerifyReport, fmt: str = "text") -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report)
    return render_text(report)
