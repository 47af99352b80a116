"""Text and JSON forms of a Comparison, kept apart from the decision so reports can change freely.

The text form collapses subtrees (a removed ``/var/lib/apt/lists`` is one line, not hundreds), because
the reader needs to see *which* changes happened, and the JSON form keeps every path for tools.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .compare import Comparison, ImageTotals, PathDifference


def human_size(n: int | None) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def collapse_subtrees(diffs: list[PathDifference]) -> list[tuple[PathDifference, int, int]]:
    """Group added/removed paths under their topmost listed directory: (root, entries below, bytes)."""
    groups: list[list[Any]] = []
    for diff in sorted(diffs, key=lambda d: d.path.split("/")):  # children right after their parent
        entry = diff.after or diff.before
        size = entry.size if entry is not None and entry.kind == "file" else 0
        if (
            groups
            and diff.change != "changed"
            and groups[-1][0].change == diff.change
            and diff.path.startswith(groups[-1][0].path.rstrip("/") + "/")
        ):
            groups[-1][1] += 1
            groups[-1][2] += size
        else:
            groups.append([diff, 0, size])
    return [(d, below, size) for d, below, size in groups]


def _lines_for(diffs: list[PathDifference], limit: int, indent: str = "  ") -> list[str]:
    lines = []
    groups = collapse_subtrees(diffs)
    for diff, below, size in groups[:limit]:
        text = diff.describe()
        if below:
            text += f" [{below} entries below, {human_size(size)}]"
        lines.append(indent + text)
    if len(groups) > limit:
        lines.append(f"{indent}... {len(groups) - limit} more")
    return lines


def _totals_line(before: ImageTotals, after: ImageTotals) -> str:
    delta = after.uncompressed_size - before.uncompressed_size
    parts = [
        f"size {human_size(before.uncompressed_size)} -> {human_size(after.uncompressed_size)} "
        f"({'+' if delta >= 0 else '-'}{human_size(abs(delta))})",
        f"layers {before.layer_count} -> {after.layer_count}",
        f"history {before.history_count} -> {after.history_count}",
    ]
    if before.engine_size is not None and after.engine_size is not None:
        parts.append(f"engine size {human_size(before.engine_size)} -> {human_size(after.engine_size)}")
    return "; ".join(parts)


def render_comparison(comparison: Comparison, limit: int = 20) -> str:
    c = comparison
    applied = ", ".join(c.applied_rules) or "none"
    lines = [
        f"equivalent: {'yes' if c.equivalent else 'NO'} (applied: {applied})",
        _totals_line(c.before, c.after),
    ]
    for code, diffs in c.allowed.items():
        description = c.applied_rules.get(code)
        title = f"{code} ({description})" if description else code
        lines.append(f"allowed by {title}: {len(diffs)} path(s)")
        lines.extend(_lines_for(diffs, limit))
    if c.unexplained:
        lines.append(f"unexplained: {len(c.unexplained)} path(s), {c.unexplained_note}")
        lines.extend(_lines_for(c.unexplained, limit))
    if c.config_differences:
        lines.append(f"config: {len(c.config_differences)} difference(s), {c.unexplained_note}")
        lines.extend("  " + d.describe() for d in c.config_differences[:limit])
    if c.volatile:
        lines.append(f"volatile (ignored): {len(c.volatile)} path(s)")
    return "\n".join(lines)


def comparison_to_dict(comparison: Comparison) -> dict[str, Any]:
    """Every difference, JSON-ready, for ``--json`` output and the PR body generator."""

    def path_diff(d: PathDifference) -> dict[str, Any]:
        return {
            "path": d.path,
            "change": d.change,
            "attributes": list(d.attributes),
            "explained_by": d.explained_by,
            "before": asdict(d.before) if d.before else None,
            "after": asdict(d.after) if d.after else None,
        }

    c = comparison
    return {
        "equivalent": c.equivalent,
        "applied_rules": dict(c.applied_rules),
        "before": asdict(c.before),
        "after": asdict(c.after),
        "unexplained": [path_diff(d) for d in c.unexplained],
        "unexplained_note": c.unexplained_note if (c.unexplained or c.config_differences) else None,
        "config_differences": [asdict(d) for d in c.config_differences],
        "allowed": {code: [path_diff(d) for d in diffs] for code, diffs in c.allowed.items()},
        "volatile": [path_diff(d) for d in c.volatile],
    }
