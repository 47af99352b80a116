"""The value benchmark: naive Dockerfiles vs what dockopt makes of them, built and measured for real.

For each app under bench/apps/<name>/ (a naive Dockerfile and its context):

1. ``dockopt --write`` on a copy of the app (safe fixes), and on another copy with ``--unsafe-fixes``
   (the command users run; the written files are checked against verify's in-memory rewrites);
2. ``verify`` for both variants with ``--offline`` and ``--runs 3``: the original is built once and each
   distinct rewrite once, then compared file by file, and timed (cold build, no-op rebuild, rebuild
   after editing a source file, cache hits);
3. bench/REPORT.md gets one table per app: original vs dockopt (safe) vs dockopt (unsafe), ratios side
   by side, plus date, machine and engine.

It needs a Docker engine (the build lab: ``eval "$(../shared/buildlab/buildlab env)"``). Results are
cached per app in bench/.cache/ under a key made of the app's files, the rewritten Dockerfiles and the
options, so an interrupted run resumes where it stopped and apps whose rewrites did not change are not
rebuilt; ``--fresh`` measures everything again.

    .venv/bin/python bench/run.py [--apps py-pip-flask,node-npm] [--runs 3] [--fresh]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APPS = HERE / "apps"
# A hand-written multi-stage split per app (outside the app, so no COPY takes it): verify judges it
# like a rewrite, which shows what a split reaches here and that verify proves a correct one.
SPLITS = HERE / "splits"
CACHE = HERE / ".cache"
REPORT = HERE / "REPORT.md"
sys.path.insert(0, str(ROOT))

DESCRIPTIONS = {
    "py-pip-flask": "Flask + gunicorn with pip: `apt-get update` in its own RUN, `COPY . .` before "
    "`pip install`, ADD for local files, lowercase keywords",
    "py-uv": "uv project (pyproject.toml + uv.lock): `pip install uv`, `COPY . .` before `uv sync`",
    "node-npm": "Express API: `ADD . .` before `npm install` (package-lock.json present)",
    "go-stdlib": "standard-library Go service built and shipped in the 1 GB golang image",
    "debian-apt": "backup tool on debian: `apt-get update` alone, three `apt-get install` RUNs, no "
    "cleanup, ADD for scripts, a separate `chmod` RUN",
    "c-make": "C program compiled with make and shipped in the full buildpack-deps image (multi-stage ready)",
    "go-cgo": "Go HTTP service with a cgo function (links libc), built and shipped in the golang image",
    "py-compiled": "Python service with its own C extension compiled by `pip install .` in the full python image",
    "node-ts": "TypeScript HTTP server: `npm install` (typescript as a dev dependency) and `npm run build` in "
    "the full node image",
    "java-javac": "Java HTTP server compiled with javac and packed with jar in the JDK image",
    "java-maven": "the seed's Maven shape (`COPY pom.xml`, `COPY src`, `mvn package`): judged on its text only, "
    "the lab has no Maven Central",
}
VARIANTS = ("safe", "unsafe", "verified")
# Apps that cannot be built here (no registry or repository the build needs): their rewrites are shown.
TEXT_ONLY = {"java-maven": "the lab reaches no Maven Central (and has no maven image)"}
# Size targets of issue 10 (unsafe+verified image size / original), per app.
TARGETS = {
    "go-stdlib": 0.15,
    "c-make": 0.15,
    "go-cgo": 0.15,
    "py-compiled": 0.50,
    "node-ts": 0.50,
    "java-javac": 0.85,
}
BENCH_VERSION = "3"  # part of the cache key: bump when what is measured changes


def say(message: str, started: float = time.perf_counter()) -> None:
    print(f"[{time.perf_counter() - started:6.0f}s] {message}", flush=True)


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def tree_digest(root: Path) -> str:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return digest(*(f"{p.relative_to(root)}\0".encode() + p.read_bytes() for p in files))


def pending_verification(app: Path) -> list[str]:
    """Codes of the fixes that ``--verify`` would try (they require a build to prove them)."""
    from optimizer.engine import fix_text
    from optimizer.verify.fixpath import needs_verification
    from optimizer.verify.pipeline import load_settings

    path = app / "Dockerfile"
    settings = load_settings(path, unsafe_fixes=True)
    outcome = fix_text(path.read_text(encoding="utf-8"), settings, path=path, context_dir=app)
    return sorted({f.code for f in needs_verification(outcome, settings)})


def write_with_cli(app: Path, unsafe: bool, verify: bool = False) -> dict[str, Any]:
    """``dockopt --write`` on a copy of the app, the way a user would run it."""
    with tempfile.TemporaryDirectory(prefix="dockopt-bench-") as scratch:
        copy = Path(scratch) / app.name
        shutil.copytree(app, copy, symlinks=True)
        command = [sys.executable, "-m", "optimizer", "--write", str(copy / "Dockerfile")]
        if unsafe:
            command.insert(3, "--unsafe-fixes")
        if verify:
            command.insert(3, "--verify")
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
        return {
            "exit_code": result.returncode,
            "seconds": time.perf_counter() - started,
            "summary": (result.stdout + result.stderr).strip().splitlines()[-1:] or [""],
            "text": (copy / "Dockerfile").read_text(encoding="utf-8"),
        }


def measure_app(app: Path, runs: int, docker, pending: list[str]) -> dict[str, Any]:
    """verify for every variant in one session; "verified" is the ``--verify`` path: the original is
    built and inspected first, and the fixes that require verification are planned from its facts."""
    from optimizer.verify.fixpath import plan_facts
    from optimizer.verify.pipeline import load_settings, verify_variants
    from optimizer.verify.report import to_dict

    path = app / "Dockerfile"
    names = VARIANTS if pending else ("safe", "unsafe")
    variants = {name: load_settings(path, unsafe_fixes=name != "safe") for name in names}
    facts = None
    if pending:  # what ``dockopt --verify`` does: build and read the original where the rules ask
        facts, _ = plan_facts(
            path.read_text(encoding="utf-8"),
            variants["unsafe"],
            path=path,
            context_dir=app,
            docker=docker,
            progress=lambda m: say(f"{app.name}: {m}"),
        )
        if facts is None:
            say(f"{app.name}: no runtime facts (nothing needs them, or the image could not be read)")
    split = SPLITS / f"{app.name}.Dockerfile"
    reports = verify_variants(
        path,
        variants,
        offline=True,
        runs=runs,
        docker=docker,
        progress=lambda message: say(f"{app.name}: {message}"),
        measure_unchanged=True,
        runtime=facts,
        verified=bool(pending),
        verified_variants=["verified"],
        given={"hand": split.read_text(encoding="utf-8")} if split.is_file() else None,
    )
    out = {name: to_dict(report) for name, report in reports.items()}
    if not pending:  # nothing requires verification: the verified rewrite is the unsafe one
        out["verified"] = dict(out["unsafe"], variant="verified")
    return out


def text_only_app(app: Path) -> dict[str, Any]:
    """An app that cannot be built here: what dockopt writes, per variant, and why it was not built."""
    written = {name: write_with_cli(app, name != "safe") for name in ("safe", "unsafe")}
    written["verified"] = dict(written["unsafe"])
    original = (app / "Dockerfile").read_text(encoding="utf-8")
    return {
        "key": "",
        "app": app.name,
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": 0.0,
        "text_only": TEXT_ONLY[app.name],
        "pending": pending_verification(app),
        "written": written,
        "original_text": original,
    }


def run_app(app: Path, runs: int, fresh: bool, docker) -> dict[str, Any]:
    if app.name in TEXT_ONLY:
        return text_only_app(app)
    pending = pending_verification(app)
    written = {name: write_with_cli(app, name != "safe") for name in ("safe", "unsafe")}
    if pending:
        written["verified"] = write_with_cli(app, True, verify=True)
    else:
        written["verified"] = dict(written["unsafe"])
    from optimizer.rules.base import all_rules
    from optimizer.verify.compare import VOLATILE_PATTERNS

    key = digest(
        BENCH_VERSION,
        tree_digest(app),
        (SPLITS / f"{app.name}.Dockerfile").read_text()
        if (SPLITS / f"{app.name}.Dockerfile").is_file()
        else "",
        *(written[name]["text"] for name in VARIANTS),
        str(runs),
        ",".join(f"{r.code}:{r.removes}" for r in all_rules()),
        repr(VOLATILE_PATTERNS),
    )
    cached = CACHE / f"{app.name}.json"
    if not fresh and cached.is_file():
        data = json.loads(cached.read_text())
        if data.get("key") == key:
            say(f"{app.name}: unchanged since {data['measured_at']}, reusing (--fresh to rebuild)")
            return data
    started = time.perf_counter()
    reports = measure_app(app, runs, docker, pending)
    original_text = (app / "Dockerfile").read_text(encoding="utf-8")
    for name in VARIANTS:
        in_memory = reports[name]["rewritten_text"] or original_text
        if name == "verified" and pending and reports[name]["status"] != "equivalent":
            # refused: `--verify` writes the rewrite without the verified fixes, i.e. the unsafe one
            in_memory = reports["unsafe"]["rewritten_text"] or original_text
        written[name]["matches_verify"] = written[name]["text"] == in_memory
    data = {
        "key": key,
        "app": app.name,
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": time.perf_counter() - started,
        "written": written,
        "reports": reports,
        "pending": pending,
    }
    if all(written[name]["matches_verify"] for name in VARIANTS):
        CACHE.mkdir(exist_ok=True)
        cached.write_text(json.dumps(data, indent=1))
    else:  # the rules changed under us (or the CLI and verify disagree): never reuse this result
        say(f"{app.name}: `dockopt --write` and verify rewrote differently; result not cached")
    return data


# -- the report ------------------------------------------------------------------------------------


def human_size(n: int | None) -> str:
    from optimizer.verify.describe import human_size as size

    return size(n)


def secs(value: float | None) -> str:
    from optimizer.verify.report import seconds

    return seconds(value)


def ratio(before: float | None, after: float | None) -> str:
    from optimizer.verify.report import ratio as r

    return r(before, after) or "-"


def _hits(m: dict[str, Any] | None) -> str:
    hits = (m or {}).get("cache_hits")
    return "-" if not hits else f"{hits['cached']}/{hits['steps']}"


LABELS = {
    "safe": "dockopt (safe)",
    "unsafe": "dockopt (unsafe)",
    "verified": "unsafe + --verify",
    "hand": "hand-written split",
}


def columns_of(reports: dict[str, Any]) -> tuple[str, ...]:
    return (*VARIANTS, "hand") if "hand" in reports else VARIANTS


def app_section(data: dict[str, Any]) -> list[str]:
    name = data["app"]
    lines = [f"## {name}", "", DESCRIPTIONS.get(name, ""), ""]
    if data.get("text_only"):
        return lines + text_only_lines(data)
    reports = data["reports"]
    measured = next((r for r in reports.values() if r.get("original")), None)
    original = measured["original"] if measured else None
    for variant in VARIANTS:
        r = reports[variant]
        applied = ", ".join(a["code"] + (f"×{a['count']}" if a["count"] > 1 else "") for a in r["applied"])
        lines.append(f"- {LABELS[variant]}: " + (f"applied {applied}" if r["changed"] else "no change"))
        if not data["written"][variant].get("matches_verify", True):
            lines.append("  - **`dockopt --write` wrote a different file than verify rewrote in memory**")
    if not data.get("pending"):
        lines.append("- no fix requires verification here: the `--verify` column is the unsafe build")
    safe, unsafe = reports["safe"], reports["unsafe"]
    if safe["changed"] and unsafe["changed"] and safe["rewritten_text"] == unsafe["rewritten_text"]:
        lines.append("- the unsafe fixes change nothing more: both columns are the same build")
    edited = next((r.get("edited_file") for r in reports.values() if r.get("edited_file")), None)
    if edited:
        lines.append(f"- rebuild after edit: a line appended to `{edited}`")
    lines.append("")
    if original is None:
        problems = [r["problem"]["message"] for r in reports.values() if r.get("problem")]
        lines += [f"Not measured: {problems[0] if problems else 'dockopt changes nothing here'}", ""]
        return lines

    def column(r: dict[str, Any]) -> dict[str, Any]:
        return r["rewritten"] if r.get("rewritten") else original

    shown = columns_of(reports)
    cols = {v: column(reports[v]) for v in shown}
    rows = [
        ("image size", "image_size", human_size),
        ("layers", "layers", lambda v: "?" if v is None else str(v)),
        ("cold build", "cold_median", secs),
        ("no-op rebuild", "noop_median", secs),
        ("rebuild after edit", "edit_median", secs),
    ]
    head = " | ".join(f"{LABELS[v]} | {v} / original" for v in shown)
    lines += [f"| | original | {head} |", "|---|---:" + "|---:|---:" * len(shown) + "|"]
    for label, key, show in rows:
        cells = [show(original.get(key))]
        for v in shown:
            cells += [show(cols[v].get(key)), ratio(original.get(key), cols[v].get(key))]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    hits = " | ".join(f"{_hits(cols[v])} | " for v in shown)
    lines.append(f"| cache hits after edit | {_hits(original)} | {hits}|")
    lines.append("| equivalent | | " + " | ".join(f"{verdict(reports[v])} | " for v in shown) + "|")
    lines.append("")
    target = TARGETS.get(name)
    if target is not None:
        for v in ("verified", "hand"):
            if v in shown:
                result = target_text(original, cols[v], reports[v], target)
                lines.append(f"- size target ≤ {target:.2f}× of the original, {LABELS[v]}: {result}")
        lines.append("")
    for v in shown:
        lines += problem_lines(v, reports[v])
        split = reports[v].get("split")
        if split and split["equivalent"]:
            lines += [f"- {v}: verified as a split: {split_summary(split)}", ""]
    return lines


def target_text(
    original: dict[str, Any], column: dict[str, Any], report: dict[str, Any], target: float
) -> str:
    size = ratio_value(original.get("image_size"), column.get("image_size"))
    met = size is not None and size <= target and verdict(report).startswith("yes")
    return ("-" if size is None else f"{size:.2f}×") + (", met" if met else ", **not met**")


def split_summary(split: dict[str, Any]) -> str:
    explained = ", ".join(f"{n} {k}" for k, n in sorted(split["dropped_explained"].items()))
    observed = split.get("observed") or []
    ran = f"; both ran: {observed[0]}" if observed else ""
    return (
        f"config equal, closure of {split['closure_size']} path(s) identical, {split['dropped']} dropped "
        f"path(s) explained ({explained}){ran}"
    )


def ratio_value(before: float | None, after: float | None) -> float | None:
    if not before or after is None:
        return None
    return after / before


def problem_lines(variant: str, r: dict[str, Any]) -> list[str]:
    problem = r.get("problem")
    if problem:
        return [f"- {variant}: **{problem['message']}**", ""]
    split = r.get("split")
    if split and not split["equivalent"]:
        return [f"- {variant}: **refused (split)**: " + "; ".join(split["reasons"]), ""]
    c = r.get("comparison")
    if c and not c["equivalent"] and not split:
        codes = ", ".join(a["code"] for a in r["applied"])
        paths = ", ".join(f"`{d['path']}`" for d in c["unexplained"][:4])
        fields = ", ".join(d["field"] for d in c["config_differences"][:4])
        return [
            f"- {variant}: **not equivalent**: {len(c['unexplained'])} unexplained path(s)"
            + (f" (e.g. {paths})" if paths else "")
            + (f", config: {fields}" if fields else "")
            + f"; applied rules: {codes}",
            "",
        ]
    return []


def text_only_lines(data: dict[str, Any]) -> list[str]:
    from optimizer.report.diff import unified_diff

    lines = [f"Not built: {data['text_only']}.", ""]
    pending = data.get("pending") or []
    lines.append(
        f"- fixes that require verification: {', '.join(pending)} (not applied: nothing can be built here)"
        if pending
        else "- no fix requires verification on this text"
    )
    for variant in ("safe", "unsafe"):
        text = data["written"][variant]["text"]
        diff = unified_diff(data["original_text"], text, "Dockerfile")
        lines += ["", f"`dockopt --write{' --unsafe-fixes' if variant == 'unsafe' else ''}`:", ""]
        lines += ["```diff", *(diff.rstrip("\n").splitlines() or ["(no change)"]), "```"]
    return [*lines, ""]


def verdict(r: dict[str, Any]) -> str:
    if r.get("problem"):
        return "error"
    if not r["changed"]:
        return "unchanged"
    if r["status"] == "equivalent":
        return "yes (split)" if r.get("split") else "yes"
    return "**NO**"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(
            line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
        )
        ram = f", {int(mem.split()[1]) / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        ram = ""
    return (
        f"{platform.system()} {platform.release()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}){ram}"
    )


def summary_rows(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| app | size: original → safe → unsafe → unsafe + --verify | rebuild after edit: original → safe "
        "→ unsafe → unsafe + --verify | equivalent (safe / unsafe / --verify) | size target (--verify) "
        "| hand-written split: size, rebuild after edit, verified |",
        "|---|---|---|---|---|---|",
    ]
    for data in results:
        if data.get("text_only"):
            lines.append(f"| {data['app']} | not built | not built | text only | - | - |")
            continue
        reports = data["reports"]
        verdicts = " / ".join(verdict(reports[v]) for v in VARIANTS)
        measured = next((r for r in reports.values() if r.get("original")), None)
        if measured is None:
            lines.append(f"| {data['app']} | - | - | {verdicts} | - | - |")
            continue
        o = measured["original"]
        cols = [reports[v]["rewritten"] or o for v in VARIANTS]
        size = " → ".join(
            [human_size(o["image_size"])]
            + [f"{human_size(c['image_size'])} ({ratio(o['image_size'], c['image_size'])})" for c in cols]
        )
        edit = " → ".join(
            [secs(o["edit_median"])]
            + [f"{secs(c['edit_median'])} ({ratio(o['edit_median'], c['edit_median'])})" for c in cols]
        )
        target = TARGETS.get(data["app"])
        got = ratio_value(o["image_size"], cols[-1]["image_size"])
        if target is None:
            goal = "-"
        else:
            ok = got is not None and got <= target and verdict(reports["verified"]).startswith("yes")
            goal = f"≤ {target:.2f}×: {'met' if ok else '**not met**'}"
        hand = "-"
        if "hand" in reports:
            h = reports["hand"]["rewritten"] or o
            hand = (
                f"{human_size(h['image_size'])} ({ratio(o['image_size'], h['image_size'])}), "
                f"{secs(h['edit_median'])}, {verdict(reports['hand'])}"
            )
        lines.append(f"| {data['app']} | {size} | {edit} | {verdicts} | {goal} | {hand} |")
    return lines


def write_report(results: list[dict[str, Any]], engine: str, runs: int, seconds: float) -> None:
    from optimizer.rules.base import all_rules

    rules = ", ".join(f"{r.code} {r.name} ({r.safety.value})" for r in all_rules())
    lines = [
        "# dockopt benchmark: naive Dockerfiles vs dockopt",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} (per-app measurement times below)",
        f"- machine: {machine()}",
        f"- engine: {engine}",
        f"- dockopt rules present: {rules}",
        (
            "- method: `bench/run.py`; per app `dockopt --write` (safe), `dockopt --write --unsafe-fixes` and, "
            "when a fix requires verification, `dockopt --write --unsafe-fixes --verify` on copies, then "
            f"`verify` with `--offline --runs {runs}` (the --verify column planned from the built original's "
            "facts and judged as a split when the final image changes on purpose): the original and each "
            "distinct rewrite are built against one temporary copy of the context; times are medians of "
            f"{runs} runs (cold = `--no-cache`; no-op = rebuild with nothing changed; after edit = rebuild "
            "after appending a line to the most recently modified source file the Dockerfile copies); "
            "size = `docker image inspect` Size; equivalence = same files (type, mode, owner, size, "
            "content, link target) and config, except paths an applied rule declares it removes and "
            "volatile files"
        ),
        f"- wall time of this run: {seconds / 60:.1f} min (apps reused from the cache take no time)",
        "",
        "## Summary",
        "",
        *summary_rows(results),
        "",
    ]
    for data in results:
        lines += [*app_section(data), f"_measured {data['measured_at']} in {data['seconds']:.0f} s_", ""]
    REPORT.write_text("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", help="comma-separated app names (default: all under bench/apps)")
    parser.add_argument("--runs", type=int, default=3, help="builds per measurement; timings are medians")
    parser.add_argument("--fresh", action="store_true", help="ignore cached results and measure everything")
    args = parser.parse_args()

    from optimizer.verify.docker import DockerCLI, EngineError

    names = (
        args.apps.split(",")
        if args.apps
        else sorted(p.name for p in APPS.iterdir() if (p / "Dockerfile").is_file())
    )
    docker = DockerCLI()
    try:
        info = docker.detect()
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    engine = f"Docker {info.server_version} (API {info.api_version}, buildx {info.buildx_version or 'none'})"
    started = time.perf_counter()
    results = []
    for index, name in enumerate(names, start=1):
        say(f"[{index}/{len(names)}] {name}")
        results.append(run_app(APPS / name, args.runs, args.fresh, docker))
    write_report(results, engine, args.runs, time.perf_counter() - started)
    say(f"wrote {REPORT.relative_to(ROOT)}")
    bad = [
        f"{d['app']}/{v}"
        for d in results
        if not d.get("text_only")
        for v in VARIANTS
        if d["reports"][v]["exit_code"] != 0
    ]
    if bad:
        print(f"not equivalent or failed: {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
