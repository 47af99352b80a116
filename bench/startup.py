"""Cold start of ``dockopt --check`` on a 50-line Dockerfile: median of N whole-process runs.

What a user waits for depends on how dockopt is installed, so each is measured in a throwaway venv
under the system temp dir, built from a copy of the checkout (nothing is written to the repo):

* ``pip install .`` — what users get: bytecode compiled at install time, no import hooks;
* ``pip install -e .`` with bytecode caching — a developer checkout: the editable-install finder
  runs at every interpreter start (its ``.pth`` imports pathlib, importlib.util, fnmatch …);
* ``pip install -e .`` with ``PYTHONDONTWRITEBYTECODE=1`` — every run compiles dockopt's own
  sources again (stdlib and dependencies keep their bytecode). Sandboxes and some CI images set
  that variable; it is the slowest way to run dockopt, and the one this repository's shell uses.

Rows: the interpreter alone, importing typer (what the CLI's fast path avoids), and
``dockopt --check`` on bench/data/Dockerfile.50 with nothing to fix and with 7 fixes.

``--baseline PATH`` measures another checkout the same way, *interleaved* run by run with this one
(A, B, A, B …), so that a noisy machine slows both alike; e.g. the commit before a change:
``git archive COMMIT | tar -x -C /tmp/before && python bench/startup.py --baseline /tmp/before``.
``--importtime`` adds the heaviest imports of ``dockopt --check`` (``python -X importtime``, mean
of 5 runs, editable install with bytecode). Writes bench/STARTUP.md (or ``--out``): only the part
between the ``<!-- measured -->`` markers is replaced, so the notes around it survive a re-run.

    python bench/startup.py [--runs 10] [--baseline PATH] [--importtime] [--repo PATH] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET = HERE / "data" / "Dockerfile.50"
TARGET_MS = 100
MODES = (  # (title, editable install, bytecode); no-bytecode first: nothing has written a .pyc yet
    ("`pip install -e .`, PYTHONDONTWRITEBYTECODE=1 (dockopt compiled at every run)", True, False),
    ("`pip install -e .`, bytecode cached", True, True),
    ("`pip install .` (bytecode compiled at install)", False, True),
)


def _run(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, env=env, check=False)
    return time.perf_counter() - start


def timed(commands: list[list[str]], runs: int, env: dict[str, str]) -> list[list[float]]:
    """Samples per command, the commands taking turns run by run."""
    for command in commands:
        # Warm-up: page cache (and .pyc files where allowed). `--check` exits 1 when it would fix
        # something; anything else would mean timing an error path.
        warm = subprocess.run(command, capture_output=True, env=env, check=False)
        if warm.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} failed ({warm.returncode}): {warm.stderr.decode()[-500:]}")
    samples: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for index, command in enumerate(commands):
            samples[index].append(_run(command, env))
    return samples


def _copy_source(repo: Path, into: Path) -> Path:
    """The files a build of the distribution reads; a copy, so installing writes nothing to the repo."""
    source = into / "src"
    source.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(repo / name, source / name)
    shutil.copytree(repo / "optimizer", source / "optimizer", ignore=shutil.ignore_patterns("__pycache__"))
    return source


def _venv(path: Path, source: Path, editable: bool) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    python = path / "bin" / "python"
    target = ["-e", str(source)] if editable else [str(source)]
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *target], check=True)
    return path / "bin"


def _installs(repo: Path, scratch: Path) -> dict[bool, Path]:
    """bin directories of an editable (True) and a regular (False) install of ``repo``."""
    return {
        editable: _venv(scratch / kind, _copy_source(repo, scratch / f"{kind}-src"), editable)
        for editable, kind in ((False, "installed"), (True, "editable"))
    }


def _environment(bytecode: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    if not bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _commands(bin_dir: Path, lowered: Path) -> dict[str, list[str]]:
    python, dockopt = str(bin_dir / "python"), str(bin_dir / "dockopt")
    return {
        "python -c pass": [python, "-c", "pass"],
        "python -c 'import typer'": [python, "-c", "import typer"],
        "dockopt --check (50 lines, nothing to fix)": [dockopt, "--check", str(TARGET)],
        "dockopt --check (50 lines, 7 fixes)": [dockopt, "--check", str(lowered)],
    }


def _importtime(bin_dir: Path, env: dict[str, str], runs: int = 5, top: int = 15) -> list[str]:
    """The heaviest imports of ``dockopt --check``: mean self and cumulative µs over ``runs`` runs."""
    self_us: dict[str, float] = {}
    cumulative_us: dict[str, float] = {}
    command = [str(bin_dir / "python"), "-X", "importtime", str(bin_dir / "dockopt"), "--check", str(TARGET)]
    subprocess.run(command, capture_output=True, env=env, check=False)
    for _ in range(runs):
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        for line in result.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            own, total, name = line.removeprefix("import time:").split("|")
            name = name.strip()
            self_us[name] = self_us.get(name, 0) + int(own) / runs
            cumulative_us[name] = cumulative_us.get(name, 0) + int(total) / runs
    ours = [name for name in self_us if name == "optimizer" or name.startswith("optimizer.")]
    summary = (
        f"{len(self_us)} modules imported, {sum(self_us.values()) / 1000:.1f} ms of import time in all; "
        f"{len(ours)} of them dockopt's own, {sum(self_us[n] for n in ours) / 1000:.1f} ms."
    )
    lines = [
        summary,
        "",
        "| module | self ms | cumulative ms |",
        "|---|---:|---:|",
    ]
    for name in sorted(self_us, key=self_us.get, reverse=True)[:top]:  # type: ignore[arg-type]
        lines.append(f"| {name} | {self_us[name] / 1000:.1f} | {cumulative_us[name] / 1000:.1f} |")
    return lines


def _ms(samples: list[float], how) -> str:
    return f"{how(samples) * 1000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--baseline", type=Path, help="another checkout, measured interleaved with this one")
    parser.add_argument("--importtime", action="store_true", help="add the heaviest imports")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the checkout to measure (default: this one)")
    parser.add_argument("--out", type=Path, default=None, help="default: bench/STARTUP.md for this checkout")
    args = parser.parse_args()
    out = args.out or (HERE / "STARTUP.md" if args.repo.resolve() == ROOT else None)
    checkouts = [args.repo] if args.baseline is None else [args.baseline, args.repo]
    with tempfile.TemporaryDirectory(prefix="dockopt-startup-") as scratch:
        scratch_dir = Path(scratch)
        # In a folder of its own: the folder is the build context the DO6xx rules walk, and the
        # throwaway venvs below must not be part of it.
        (scratch_dir / "case").mkdir()
        lowered = scratch_dir / "case" / "Dockerfile"
        lowered.write_text(TARGET.read_text().replace("\nRUN ", "\nrun ").replace("\nCOPY r", "\nADD r"))
        print("building the throwaway venvs …", file=sys.stderr)
        installs = [_installs(repo, scratch_dir / f"checkout{i}") for i, repo in enumerate(checkouts)]
        tables = []
        for title, editable, bytecode in MODES:
            per_checkout = [_commands(found[editable], lowered) for found in installs]
            rows = []
            for label in per_checkout[0]:
                rows.append(
                    (label, timed([c[label] for c in per_checkout], args.runs, _environment(bytecode)))
                )
            tables.append((title, rows))
        heaviest = (
            [_importtime(found[True], _environment(True)) for found in installs] if args.importtime else []
        )
    lines = [
        f"Median of {args.runs} whole-process runs after one warm-up; Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs. Target: ≤ {TARGET_MS} ms for a 50-line Dockerfile "
        "(bench/data/Dockerfile.50). Produced by `python bench/startup.py"
        + (f" --runs {args.runs}" if args.runs != 10 else "")
        + (f" --baseline {args.baseline}" if args.baseline else "")
        + (" --importtime" if args.importtime else "")
        + "`"
        + (", the baseline and this checkout taking turns run by run." if args.baseline else ".")
    ]
    for title, rows in tables:
        lines += ["", f"## {title}", ""]
        if args.baseline is None:
            lines += ["| command | median ms | min ms | max ms |", "|---|---:|---:|---:|"]
            for label, (samples,) in rows:
                lines.append(
                    f"| {label} | {_ms(samples, statistics.median)} | {_ms(samples, min)} | {_ms(samples, max)} |"
                )
            continue
        lines += [
            "| command | baseline median ms | median ms | ratio | baseline min ms | min ms |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for label, (before, after) in rows:
            ratio = statistics.median(after) / statistics.median(before)
            lines.append(
                f"| {label} | {_ms(before, statistics.median)} | {_ms(after, statistics.median)} | {ratio:.2f} "
                f"| {_ms(before, min)} | {_ms(after, min)} |"
            )
    for name, table in zip(
        ["baseline", "this checkout"] if args.baseline else ["this checkout"], heaviest, strict=False
    ):
        lines += [
            "",
            f"## Heaviest imports of `dockopt --check`, {name} (`-X importtime`, editable, bytecode)",
            "",
        ]
        lines += table
    report = "\n".join(lines) + "\n"
    if out is not None:
        out.write_text(_merged(out.read_text() if out.exists() else "", report))
    print(report)


BEGIN, END = "<!-- measured: bench/startup.py writes from here -->", "<!-- measured: to here -->"


def _merged(previous: str, report: str) -> str:
    """``previous`` with the measured part replaced (or a new file holding just that part)."""
    block = f"{BEGIN}\n{report}{END}\n"
    if BEGIN in previous and END in previous:
        head, _, rest = previous.partition(BEGIN)
        _, _, tail = rest.partition(END)
        return head + block + tail.removeprefix("\n")
    return f"# Cold start of `dockopt --check`\n\n{block}"


if __name__ == "__main__":
    main()
