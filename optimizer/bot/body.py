"""The pull request: its title and its markdown body.

What maintainers accept from a bot: one focused change, a reason per change, proof that nothing
breaks (the measured numbers, when ``--verify`` ran), an easy way to say no, and no spam. The body
carries a hidden fingerprint of the proposed change, so a later run knows a closed pull request
proposed the same thing and does not open it again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .rewrite import FileRewrite, Plan

# Where a rule's documentation (its module docstring) can be read; {module} is its path in dockopt.
DOCS_URL = "https://github.com/dockopt/dockopt/blob/main/{module}"
_FINGERPRINT_RE = re.compile(r"<!--\s*dockopt-fingerprint:\s*([0-9a-f]+)\s*-->")


def title(files: int) -> str:
    return f"Optimize Dockerfiles with dockopt ({files} file{'s' if files != 1 else ''})"


def fingerprint_in(body: str | None) -> str | None:
    match = _FINGERPRINT_RE.search(body or "")
    return match.group(1) if match else None


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    summary: str
    safety: str
    why: str
    fix_safety: str
    docs_url: str


def rule_info(code: str, docs_url: str = DOCS_URL) -> RuleInfo:
    from optimizer.rules.base import all_rules

    for rule in all_rules():
        if rule.code == code:
            sections = doc_sections(rule.docs())
            module = rule.__module__.replace(".", "/") + ".py"
            return RuleInfo(
                code,
                rule.name,
                rule.summary,
                rule.safety_note or rule.safety.value,
                sections.get("Why", ""),
                _first_paragraph(sections.get("Fix safety", "")),
                docs_url.format(module=module, code=code, name=rule.name),
            )
    return RuleInfo(code, code, "", "", "", "", "")


def doc_sections(docs: str) -> dict[str, str]:
    """``## Heading`` sections of a rule's docs, with reStructuredText literals as markdown code."""
    sections: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in docs.splitlines():
        if line.startswith("## "):
            if current is not None:
                sections[current] = "\n".join(lines).strip()
            current, lines = line[3:].strip(), []
        elif current is not None:
            lines.append(line)
    if current is not None:
        sections[current] = "\n".join(lines).strip()
    return {key: value.replace("``", "`") for key, value in sections.items()}


def _first_paragraph(text: str, sentences: int = 2) -> str:
    """The opening of a docs section: its first lines up to a blank line or a list, at most
    ``sentences`` sentences (the rest is one click away in the docs)."""
    lines = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(("- ", "* ", "```")):
            break
        lines.append(line.strip())
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z(`*])", " ".join(lines))
    opening = " ".join(parts[:sentences]).strip()
    return opening[:-1] + " (the docs list them)." if opening.endswith(":") else opening


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _size(value: int | None) -> str:
    from optimizer.verify.describe import human_size

    return "?" if value is None else human_size(value)


def _seconds(value: float | None) -> str:
    from optimizer.verify.report import seconds

    return seconds(value)


def _measured_cells(rewrite: FileRewrite) -> list[str]:
    v = rewrite.verification
    report = v.report if v else None
    a = report.original if report else None
    b = report.rewritten if report else None
    if a is None or b is None or report is None or report.problem is not None:
        measured = ["-", "-", "-"]
    else:
        measured = [
            f"{_size(a.image_size)} → {_size(b.image_size)}",
            f"{a.layers if a.layers is not None else '?'} → {b.layers if b.layers is not None else '?'}",
            f"{_seconds(a.edit_median)} → {_seconds(b.edit_median)}" if a.edit or b.edit else "not measured",
        ]
    verified = "yes" if v and v.verified else "no"
    if v and v.note:
        verified += f" ({v.note})"
    return [*measured, _cell(verified)]


def summary_table(rewrites: Sequence[FileRewrite], verified: bool) -> list[str]:
    head = ["File", "Rules applied", "Lines changed"]
    if verified:
        head += ["Image size", "Layers", "Rebuild after edit", "Verified"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for rewrite in rewrites:
        rules = ", ".join(code + (f" ×{n}" if n > 1 else "") for code, n in rewrite.applied.items())
        added, removed = rewrite.lines_changed
        cells = [f"`{_cell(rewrite.path)}`", rules, f"+{added} −{removed}"]
        if verified:
            cells += _measured_cells(rewrite)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


# GitHub refuses bodies over 65,536 characters; build logs in the verification details can get there.
MAX_BODY = 60_000


def render_body(
    plan: Plan,
    *,
    fingerprint: str,
    base: str,
    version: str,
    verified: bool,
    docs_url: str = DOCS_URL,
    max_length: int = MAX_BODY,
) -> str:
    """The markdown body; the per-file verification details are dropped (with a note) when the body
    would be too long for GitHub, the summary table keeps the numbers."""
    body = _render(plan, fingerprint, base, version, verified, docs_url, details=True)
    if len(body) > max_length:
        body = _render(plan, fingerprint, base, version, verified, docs_url, details=False)
    return body


def _render(
    plan: Plan, fingerprint: str, base: str, version: str, verified: bool, docs_url: str, details: bool
) -> str:
    rewrites = plan.rewrites
    codes = sorted({code for r in rewrites for code in r.applied})
    files = len(rewrites)
    unsafe = sorted({code for r in rewrites for code in r.unsafe})
    fixes = f"including unsafe fixes of {', '.join(unsafe)}" if unsafe else "safe fixes only"
    proof = (
        "Each changed Dockerfile was built before and after the rewrite with `dockopt verify`, and the "
        "images compared file by file and config by config."
        if verified
        else "Every rewritten file was re-parsed with BuildKit's own parser; run `dockopt verify` on a "
        "file to build both versions and compare the images."
    )
    out = [
        f"<!-- dockopt-fingerprint: {fingerprint} -->",
        (
            f"dockopt rewrote {files} Dockerfile{'s' if files != 1 else ''} on `{base}` ({fixes}). "
            f"One commit, only Dockerfiles; every change is explained below. {proof}"
        ),
        "",
        "## Summary",
        "",
        *summary_table(rewrites, verified),
        "",
    ]
    if verified:
        out += [
            (
                "Image size, layers and the rebuild after editing a source file are measured by "
                "`dockopt verify` (original → rewritten)."
            ),
            "",
        ]
    out += ["## Why", ""]
    for code in codes:
        info = rule_info(code, docs_url)
        out.append(f"### `{info.code}` {info.name}")
        out.append("")
        if info.summary:
            out += [f"**{info.summary}.** Fix: {info.safety}.", ""]
        if info.why:
            out += [info.why, ""]
        if info.fix_safety:
            out += [f"*Fix safety:* {info.fix_safety}", ""]
        if info.docs_url:
            out += [f"Docs: [{info.code} {info.name}]({info.docs_url}) · `dockopt explain {info.code}`", ""]
    if verified and details:
        out += _verify_details(rewrites)
    elif verified:
        out += [
            "## Verification",
            "",
            (
                "The details of each build are left out (too long for a pull request); run "
                "`dockopt verify FILE` to see them."
            ),
            "",
        ]
    if plan.left_out:
        out += ["## Left out", ""]
        out += [f"- `{path}`: {_cell(why)}" for path, why in plan.left_out]
        out.append("")
    example = codes[0] if codes else "DO101"
    out += [
        "## Don't want this?",
        "",
        *(
            (
                f'- Skip a rule everywhere: `ignore = ["{example}"]` in `dockopt.toml` (or `[tool.dockopt]` '
                f"in `pyproject.toml`) on `{base}`. The next run drops it from this pull request, and closes "
                "the pull request when nothing is left."
            ),
            (
                f"- Skip one instruction: a `# dockopt: ignore={example}` comment right above it; a whole "
                "file: `# dockopt: ignore-file`."
            ),
            (
                "- Or close this pull request: dockopt does not reopen it for the same change, and opens a "
                "new one only when it has something different to propose."
            ),
            (
                "- Commits pushed to this branch by anyone else are never overwritten: dockopt then leaves "
                "the branch alone."
            ),
        ),
        "",
        "---",
        f"<sub>Generated by dockopt {version} · `dockopt pr` · fingerprint `{fingerprint}`</sub>",
        "",
    ]
    return "\n".join(out)


def _verify_details(rewrites: Sequence[FileRewrite]) -> list[str]:
    from optimizer.verify.report import render_markdown

    out = ["## Verification", ""]
    for rewrite in rewrites:
        report = rewrite.verification.report if rewrite.verification else None
        if report is None:
            continue
        out += [
            f"<details><summary><code>{rewrite.path}</code></summary>",
            "",
            render_markdown(report).replace("### dockopt verify:", "#### dockopt verify:"),
            "</details>",
            "",
        ]
    return out


def closing_comment(base: str, base_commit: str) -> str:
    return (
        f"dockopt has nothing left to change on `{base}` ({base_commit[:12]}): the Dockerfiles are already "
        "optimized, or the rules were switched off. Closing this pull request."
    )
