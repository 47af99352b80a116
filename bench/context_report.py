"""What the build-context rules (DO601, DO602) propose on common project layouts, and what it changes.

    python bench/context_report.py                 # proposals only -> bench/CONTEXT.md
    python bench/context_report.py --verify 3      # also build each layout (median of 3 runs)

The layouts live in ``bench/contexts/<name>/`` (Python, Node, Go, Java; each a Dockerfile plus a
project tree with the usual leftovers and fake secrets). A layout's ``.git`` is stored as
``dot-git`` (git cannot commit a nested ``.git``); in the temporary copy it becomes a real
repository with one commit of the tree. For each layout the report lists every DO601/DO602 finding with its safety and the
``.dockerignore`` the safe fixes write (and the unsafe ones add). With ``--verify N`` it runs
``dockopt verify`` (safe, then unsafe fixes) against the lab engine: image size, the paths the
rewrite removes, the rebuild after editing a file the new ``.dockerignore`` leaves out, and the
output of both containers (they must print the same).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CONTEXTS = ROOT / "bench" / "contexts"
REPORT = ROOT / "bench" / "CONTEXT.md"
SELECT = ("DO601", "DO602")


def materialize(layout: Path, into: Path) -> Path:
    """A copy of the layout; its ``dot-git`` placeholder becomes a real repository holding one commit
    of the tree (so tools that read ``.git``, like ``go build``'s VCS stamping, see a real one)."""
    target = into / layout.name
    shutil.copytree(layout, target, symlinks=True)
    for found in sorted(target.rglob("dot-git"), key=lambda p: -len(p.parts)):
        shutil.rmtree(found)
        git = ["git", "-c", "user.name=dev", "-c", "user.email=dev@example.invalid", "-C", str(found.parent)]
        for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
            subprocess.run([*git, *args], check=True, capture_output=True)
    return target


def proposals(context: Path, unsafe: bool):
    from optimizer.core.config import Settings
    from optimizer.engine import findings, fix_text

    settings = Settings(select=SELECT, unsafe_fixes=unsafe)
    dockerfile = context / "Dockerfile"
    text = dockerfile.read_text()
    found = findings(text, settings, path=dockerfile, context_dir=context)
    outcome = fix_text(text, settings, path=dockerfile, context_dir=context)
    return found, outcome


def run_container(env: dict[str, str], tag: str) -> str:
    result = subprocess.run(
        ["docker", "run", "--rm", "--network", "host", tag],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return (result.stdout + result.stderr).strip()


def verify_layout(context: Path, runs: int) -> list[str]:
    """Build original and rewrites (safe, unsafe) and describe the results as markdown lines."""
    from optimizer.core.config import Settings
    from optimizer.io import write_together
    from optimizer.verify.describe import human_size
    from optimizer.verify.docker import DockerCLI
    from optimizer.verify.pipeline import verify_variants

    env = {**os.environ}
    docker = DockerCLI(env=env, timeout=1200)
    variants = {
        "safe": Settings(select=SELECT),
        "unsafe": Settings(select=SELECT, unsafe_fixes=True),
    }
    reports = verify_variants(context / "Dockerfile", variants, runs=runs, docker=docker)
    lines = [
        "| fixes | status | image size (original → rewritten) | paths removed | edited (ignored) file "
        "| cached steps after that edit (original, rewritten) | median rebuild after that edit |",
        "|---|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    for name, report in reports.items():
        if report.problem is not None:
            lines.append(f"| {name} | error: {report.problem.message} | | | | | |")
            continue
        if not report.changed:
            lines.append(f"| {name} | unchanged | | | | | |")
            continue
        a, b = report.original, report.rewritten
        assert a is not None and b is not None
        removed = "-"
        if report.comparison is not None:
            allowed = report.comparison.allowed
            removed = ", ".join(f"{code}: {len(paths)}" for code, paths in allowed.items()) or "0"
            if report.comparison.unexplained:
                removed += f" (+{len(report.comparison.unexplained)} unexplained)"
        hits_a, hits_b = a.ignored_hits, b.ignored_hits

        def hits(h: tuple[int, int] | None) -> str:
            return "-" if h is None else f"{h[0]}/{h[1]}"

        from optimizer.verify.measure import median

        ta, tb = median(a.ignored_edit), median(b.ignored_edit)
        times = "-" if ta is None or tb is None else f"{ta:.2f} s → {tb:.2f} s"
        lines.append(
            f"| {name} | {report.status} | {human_size(a.image_size)} → {human_size(b.image_size)} "
            f"| {removed} | {report.ignored_file or '-'} | {hits(hits_a)}, {hits(hits_b)} | {times} |"
        )
        if report.comparison is not None and report.comparison.unexplained:
            shown = sorted(getattr(d, "path", str(d)) for d in report.comparison.unexplained)
            notes.append(
                f"{name}: differences no rule declares, e.g. " + ", ".join(f"`{p}`" for p in shown[:6])
            )
    if notes:
        lines += [""] + [f"- {note}" for note in notes]
    # Behaviour: run the original and the unsafe rewrite (the larger change) and compare outputs.
    unsafe = reports["unsafe"]
    if unsafe.problem is None and unsafe.changed and unsafe.ignore_text is not None:
        text = (context / "Dockerfile").read_text()
        tags = {n: f"dockopt-context-bench-{uuid.uuid4().hex[:8]}:{n}" for n in ("original", "rewritten")}
        try:
            docker.build(text, context, tags["original"])
            with tempfile.TemporaryDirectory() as tmp:
                copy = Path(tmp) / "context"
                shutil.copytree(context, copy, symlinks=True)
                write_together([(copy / ".dockerignore", unsafe.ignore_text)])
                docker.build(text, copy, tags["rewritten"])
            out_a, out_b = run_container(env, tags["original"]), run_container(env, tags["rewritten"])
        finally:
            docker.remove(*tags.values())
        same = "same output" if out_a == out_b else "DIFFERENT output"
        lines += ["", f"Containers (original vs unsafe rewrite): {same}: `{out_a}` / `{out_b}`"]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verify", type=int, default=0, metavar="RUNS", help="build with the lab engine")
    parser.add_argument("--output", default=str(REPORT))
    args = parser.parse_args()
    out = [
        "# Build-context rules on common layouts",
        "",
        "Generated by `python bench/context_report.py"
        + (f" --verify {args.verify}" if args.verify else "")
        + "` from `bench/contexts/` (edit the layouts or the rules, then run it again).",
        "",
    ]
    with tempfile.TemporaryDirectory(prefix="dockopt-contexts-") as tmp:
        for layout in sorted(p for p in CONTEXTS.iterdir() if p.is_dir()):
            context = materialize(layout, Path(tmp))
            found, safe = proposals(context, unsafe=False)
            _, unsafe = proposals(context, unsafe=True)
            out += [
                f"## {layout.name}",
                "",
                "```dockerfile",
                (context / "Dockerfile").read_text().rstrip(),
                "```",
                "",
            ]
            out += ["| rule | safety | finding |", "|---|---|---|"]
            for f in found:
                message = f.message.replace("|", "\\|")
                out.append(f"| {f.code} | {f.applicability.value} | {message} |")
            if not found:
                out.append("| - | - | no findings |")
            for label, outcome in (("safe fixes (default)", safe), ("with --unsafe-fixes", unsafe)):
                out += ["", f"`.dockerignore` written, {label}:", ""]
                if outcome.files:
                    out += ["```", outcome.files[0].after.rstrip(), "```"]
                else:
                    out.append("(nothing)")
            if args.verify:
                print(f"verifying {layout.name}", file=sys.stderr)
                out += ["", f"Builds (`dockopt verify`, {args.verify} run(s), timings are medians):", ""]
                out += verify_layout(context, args.verify)
            out.append("")
    Path(args.output).write_text("\n".join(out).rstrip() + "\n")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
