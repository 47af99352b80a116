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
}
VARIANTS = ("safe", "unsafe")
BENCH_VERSION = "2"  # part of the cache key: bump when what is measured changes


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


def write_with_cli(app: Path, unsafe: bool) -> dict[str, Any]:
    """``dockopt --write`` on a copy of the app, the way a user would run it."""
    with tempfile.TemporaryDirectory(prefix="dockopt-bench-") as scratch:
        copy = Path(scratch) / app.name
        shutil.copytree(app, copy, symlinks=True)
        command = [sys.executable, "-m", "optimizer", "--write", str(copy / "Dockerfile")]
        if unsafe:
            command.insert(3, "--unsafe-fixes")
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
        return {
            "exit_code": result.returncode,
            "seconds": time.perf_counter() - started,
            "summary": (result.stdout + result.stderr).strip().splitlines()[-1:] or [""],
            "text": (copy / "Dockerfile").read_text(encoding="utf-8"),
        }


def measure_app(app: Path, runs: int, docker) -> dict[str, Any]:
    from optimizer.verify.pipeline import load_settings, verify_variants
    from optimizer.verify.report import to_dict

    path = app / "Dockerfile"
    variants = {name: load_settings(path, unsafe_fixes=name == "unsafe") for name in VARIANTS}
    reports = verify_variants(
        path,
        variants,
        offline=True,
        runs=runs,
        docker=docker,
        progress=lambda message: say(f"{app.name}: {message}"),
        measure_unchanged=True,
    )
    return {name: to_dict(report) for name, report in reports.items()}


def run_app(app: Path, runs: int, fresh: bool, docker) -> dict[str, Any]:
    written = {name: write_with_cli(app, name == "unsafe") for name in VARIANTS}
    from optimizer.rules.base import all_rules
    from optimizer.verify.compare import VOLATILE_PATTERNS

    key = digest(
        BENCH_VERSION,
        tree_digest(app),
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
    reports = measure_app(app, runs, docker)
    original_text = (app / "Dockerfile").read_text(encoding="utf-8")
    for name in VARIANTS:
        in_memory = reports[name]["rewritten_text"] or original_text
        written[name]["matches_verify"] = written[name]["text"] == in_memory
    data = {
        "key": key,
        "app": app.name,
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": time.perf_counter() - started,
        "written": written,
        "reports": reports,
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


def app_section(data: dict[str, Any]) -> list[str]:
    name = data["app"]
    reports = data["reports"]
    safe, unsafe = reports["safe"], reports["unsafe"]
    measured = next((r for r in (safe, unsafe) if r.get("original")), None)
    original = measured["original"] if measured else None
    lines = [f"## {name}", "", DESCRIPTIONS.get(name, ""), ""]
    for variant in VARIANTS:
        r = reports[variant]
        applied = ", ".join(a["code"] + (f"×{a['count']}" if a["count"] > 1 else "") for a in r["applied"])
        lines.append(f"- dockopt ({variant}): " + (f"applied {applied}" if r["changed"] else "no change"))
        if not data["written"][variant].get("matches_verify", True):
            lines.append("  - **`dockopt --write` wrote a different file than verify rewrote in memory**")
    if safe["changed"] and unsafe["changed"] and safe["rewritten_text"] == unsafe["rewritten_text"]:
        lines.append("- the unsafe fixes change nothing more: both columns are the same build")
    if safe.get("edited_file") or unsafe.get("edited_file"):
        edited = safe.get("edited_file") or unsafe.get("edited_file")
        lines.append(f"- rebuild after edit: a line appended to `{edited}`")
    lines.append("")
    if original is None:
        problems = [r["problem"]["message"] for r in (safe, unsafe) if r.get("problem")]
        lines += [f"Not measured: {problems[0] if problems else 'dockopt changes nothing here'}", ""]
        return lines

    def column(r: dict[str, Any]) -> dict[str, Any]:
        return r["rewritten"] if r.get("rewritten") else original

    cols = {v: column(reports[v]) for v in VARIANTS}
    rows = [
        ("image size", "image_size", human_size),
        ("layers", "layers", lambda v: "?" if v is None else str(v)),
        ("cold build", "cold_median", secs),
        ("no-op rebuild", "noop_median", secs),
        ("rebuild after edit", "edit_median", secs),
    ]
    lines += [
        "| | original | dockopt (safe) | safe / original | dockopt (unsafe) | unsafe / original |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, key, show in rows:
        cells = [show(original.get(key))]
        for v in VARIANTS:
            cells += [show(cols[v].get(key)), ratio(original.get(key), cols[v].get(key))]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append(
        f"| cache hits after edit | {_hits(original)} | {_hits(cols['safe'])} | | {_hits(cols['unsafe'])} | |"
    )
    lines.append(f"| equivalent | | {verdict(safe)} | | {verdict(unsafe)} | |")
    lines.append("")
    for v in VARIANTS:
        problem = reports[v].get("problem")
        if problem:
            lines += [f"- {v}: **{problem['message']}**", ""]
        elif reports[v].get("comparison") and not reports[v]["comparison"]["equivalent"]:
            c = reports[v]["comparison"]
            codes = ", ".join(a["code"] for a in reports[v]["applied"])
            paths = ", ".join(f"`{d['path']}`" for d in c["unexplained"][:4])
            fields = ", ".join(d["field"] for d in c["config_differences"][:4])
            lines += [
                f"- {v}: **not equivalent**: {len(c['unexplained'])} unexplained path(s)"
                + (f" (e.g. {paths})" if paths else "")
                + (f", config: {fields}" if fields else "")
                + f"; applied rules: {codes}",
                "",
            ]
    return lines


def verdict(r: dict[str, Any]) -> str:
    if r.get("problem"):
        return "error"
    if not r["changed"]:
        return "unchanged"
    return "yes" if r["status"] == "equivalent" else "**NO**"


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
        "| app | size: original → safe → unsafe | rebuild after edit: original → safe → unsafe "
        "| equivalent (safe / unsafe) |",
        "|---|---|---|---|",
    ]
    for data in results:
        reports = data["reports"]
        measured = next((r for r in reports.values() if r.get("original")), None)
        if measured is None:
            lines.append(
                f"| {data['app']} | - | - | {verdict(reports['safe'])} / {verdict(reports['unsafe'])} |"
            )
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
        lines.append(
            f"| {data['app']} | {size} | {edit} | {verdict(reports['safe'])} / {verdict(reports['unsafe'])} |"
        )
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
            "- method: `bench/run.py`; per app `dockopt --write` (safe) and `dockopt --write "
            f"--unsafe-fixes` on copies, then `verify` with `--offline --runs {runs}`: the original and each "
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
    bad = [f"{d['app']}/{v}" for d in results for v in VARIANTS if d["reports"][v]["exit_code"] != 0]
    if bad:
        print(f"not equivalent or failed: {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
