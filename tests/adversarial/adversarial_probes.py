"""The adversarial probes (issue 16): loading them, rewriting them in every mode, building the original
and each distinct rewrite on the lab engine, and judging the result.

A probe is a folder ``probes/<class>-<name>/`` holding a ``Dockerfile``, its build context and a
``probe.toml``::

    class = 1                      # the defect class of issue 16 (1-7)
    description = "one line: what could go wrong"
    control = true                 # optional: an ordinary case the safe rewrite must still change
    expect = "build-fails"         # optional: the original fails to build (errexit probes); the
                                   # rewrite must fail too. "refused": dockopt must refuse the file
                                   # (class 7) and the original must not build either
    [build_args]                   # optional
    NAME = "value"

Modes are the four combinations of ``unsafe_fixes`` and ``cache_strategy``. Verdicts per mode:

``left alone``  the rewrite equals the input (nothing to build);
``equal``       the rewrite builds an image equal to the original's (differences only in the applied
                rules' declared ``removes`` paths and the verify module's volatile list), or, for an
                ``expect = "build-fails"`` probe, fails to build as the original does;
``differs``     it builds, with unexplained differences (or it builds where the original fails);
``broke``       it does not build;
``refused``     ``fix_text`` raised ParseError (right only for class 7);
``error``       ``fix_text`` gave up with an InternalError (a dockopt bug: no convergence, bad parse).
"""

from __future__ import annotations

import difflib
import os
import re
import time
import tomllib
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from optimizer.core.config import Settings
from optimizer.core.findings import Applicability, Finding
from optimizer.engine import fix_text
from optimizer.rules.base import all_rules
from optimizer.syntax import ParseError
from optimizer.verify.compare import VOLATILE_PATTERNS, Comparison, VolatilePattern, compare_snapshots
from optimizer.verify.describe import render_comparison
from optimizer.verify.docker import BuildFailed, DockerCLI, EngineError, strip_syntax_directive
from optimizer.verify.snapshot import Snapshot

PROBES_DIR = Path(__file__).parent / "probes"
RESULTS_FILE = Path(__file__).parent / "RESULTS.md"
MODES: dict[str, Settings] = {
    "safe+cleanup": Settings(unsafe_fixes=False, cache_strategy="cleanup"),
    "safe+mounts": Settings(unsafe_fixes=False, cache_strategy="mounts"),
    "unsafe+cleanup": Settings(unsafe_fixes=True, cache_strategy="cleanup"),
    "unsafe+mounts": Settings(unsafe_fixes=True, cache_strategy="mounts"),
}
CLASS_NAMES = {
    1: "cleanup vs later reader",
    2: "install reads more than the manifests",
    3: "shell state across a merge",
    4: "ADD that unpacks",
    5: "image metadata (ONBUILD)",
    6: "text-level slips",
    7: "parser accepts, build refuses",
}
# Noise seen between two builds of the same probe that the verify module's list lacks (reported to the
# lead; kept here, not in optimizer/verify, because this suite must not edit the code it judges).
EXTRA_VOLATILE = (
    VolatilePattern(
        "/tmp/v8-compile-cache-*/**",
        "content",
        "V8's code cache, written by yarn's launcher (v8-compile-cache): its blobs differ between two runs",
    ),
    VolatilePattern(
        "**/*.dist-info/uv_cache.json", "content", "uv records the install time of each package it installs"
    ),
    VolatilePattern(
        "**/*.dist-info/RECORD",
        "content",
        "lists the hash of uv_cache.json; a real change of an installed file shows as that file's own difference",
    ),
)
# How many builds of one probe run at once (the original and its distinct rewrites are independent).
JOBS = max(1, int(os.environ.get("DOCKOPT_PROBE_JOBS", "2")))


@dataclass(frozen=True)
class Probe:
    name: str
    folder: Path
    klass: int
    description: str
    control: bool = False
    expect: str = "builds"  # "builds", "build-fails" or "refused"
    build_args: dict[str, str] = field(default_factory=dict)

    @property
    def dockerfile(self) -> Path:
        return self.folder / "Dockerfile"

    @property
    def text(self) -> str:
        # bytes → str without newline translation: CRLF and a missing final newline are the point
        return self.dockerfile.read_bytes().decode("utf-8")


def load_probes() -> list[Probe]:
    probes = []
    for folder in sorted(p for p in PROBES_DIR.iterdir() if p.is_dir()):
        meta = tomllib.loads((folder / "probe.toml").read_text())
        probe = Probe(
            name=folder.name,
            folder=folder,
            klass=int(meta["class"]),
            description=str(meta["description"]),
            control=bool(meta.get("control", False)),
            expect=str(meta.get("expect", "builds")),
            build_args={str(k): str(v) for k, v in meta.get("build_args", {}).items()},
        )
        assert 1 <= probe.klass <= 7, f"{folder.name}: class must be 1-7"
        assert folder.name.startswith(f"{probe.klass}-"), f"{folder.name}: name must start with its class"
        assert probe.expect in ("builds", "build-fails", "refused"), f"{folder.name}: bad expect"
        assert (folder / "Dockerfile").is_file(), f"{folder.name}: no Dockerfile"
        probes.append(probe)
    return probes


# -- rewriting --------------------------------------------------------------------------------


@dataclass
class Rewrite:
    mode: str
    output: str | None = None  # None when refused or broken
    applied: list[Finding] = field(default_factory=list)
    refused: str | None = None  # the ParseError, formatted path:line:col: message
    error: str | None = None  # the InternalError

    @property
    def codes(self) -> list[str]:
        return sorted({f.code for f in self.applied})

    @property
    def unsafe(self) -> list[Finding]:
        return [f for f in self.applied if f.fix is not None and f.fix.applicability is Applicability.UNSAFE]


def rewrite(probe: Probe, mode: str) -> Rewrite:
    result = Rewrite(mode)
    try:
        outcome = fix_text(probe.text, MODES[mode], path=probe.dockerfile, context_dir=probe.folder)
    except ParseError as exc:
        result.refused = exc.format(probe.name + "/Dockerfile")
        return result
    if outcome.error is not None:
        result.error = str(outcome.error)
        return result
    result.output = outcome.output
    result.applied = list(outcome.applied)
    return result


RULES = {rule.code: rule for rule in all_rules()}


def allowed_paths(applied: list[Finding]) -> dict[str, list[str]]:
    return {
        code: list(RULES[code].removes) for code in sorted({f.code for f in applied}) if RULES[code].removes
    }


def dockerfile_diff(before: str, after: str, name: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{name}", f"b/{name}", n=2
    )
    text = "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
    return _clip(text, 4000)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n... ({len(text) - limit} more characters)"


# -- building ---------------------------------------------------------------------------------

_MOUNT = re.compile(r"--mount=([^\s\\]+)")


def isolate_cache_mounts(text: str, run_id: str) -> str:
    """Give every cache mount an id of this build's own, so a build starts with empty cache mounts as a
    user's first build does, and sees nothing an earlier build (or an earlier test run) left in the
    engine. What is mounted where, and how it is shared, stays what the Dockerfile says."""

    def fix(match: re.Match[str]) -> str:
        fields = match.group(1).split(",")
        pairs = [f.split("=", 1) for f in fields]
        if ["type", "cache"] not in [[p[0].lower(), p[1] if len(p) > 1 else ""] for p in pairs]:
            return match.group(0)
        target = next(
            (p[1] for p in pairs if len(p) == 2 and p[0].lower() in ("target", "dst", "destination")), ""
        )
        out, had_id = [], False
        for item in fields:
            key, _, value = item.partition("=")
            if key.lower() == "id":
                out.append(f"id={run_id}-{value}")
                had_id = True
            else:
                out.append(item)
        if not had_id:
            out.append(f"id={run_id}{target}")
        return "--mount=" + ",".join(out)

    return _MOUNT.sub(fix, text)


@dataclass
class Built:
    """One build: the image's snapshot, or why it failed."""

    snapshot: Snapshot | None = None
    failure: str | None = None  # one line plus the log tail
    seconds: float = 0.0


def build(docker: DockerCLI, probe: Probe, text: str, tag: str, no_cache: bool) -> Built:
    started = time.perf_counter()
    run_id = f"dockopt-probe-{uuid.uuid4().hex[:10]}"
    try:
        docker.build(
            isolate_cache_mounts(strip_syntax_directive(text), run_id),
            probe.folder,
            tag,
            build_args=probe.build_args or None,
            no_cache=no_cache,
            dockerfile_path=probe.dockerfile,
        )
    except BuildFailed as exc:
        step = exc.failed_step
        return Built(
            failure=(f"[failed step: {step}] " if step else "") + exc.details(),
            seconds=time.perf_counter() - started,
        )
    try:
        return Built(snapshot=docker.snapshot(tag), seconds=time.perf_counter() - started)
    finally:
        try:
            docker.remove(tag)
        except EngineError:
            pass


# -- judging ----------------------------------------------------------------------------------


@dataclass
class ModeResult:
    mode: str
    verdict: str  # left alone / equal / differs / broke / refused / error
    ok: bool
    codes: list[str] = field(default_factory=list)
    detail: str = ""  # the precise failure message (empty when ok)
    note: str = ""  # short reason for the table


@dataclass
class ProbeResult:
    probe: Probe
    modes: dict[str, ModeResult] = field(default_factory=dict)
    original: str = ""  # "builds", "fails" or "broken: …"
    seconds: float = 0.0
    builds: int = 0

    @property
    def failures(self) -> list[ModeResult]:
        return [m for m in self.modes.values() if not m.ok]


def rewrites_of(probe: Probe) -> dict[str, Rewrite]:
    """``fix_text`` in every mode (call it from one thread: the engine is not promised to be thread-safe)."""
    return {mode: rewrite(probe, mode) for mode in MODES}


def run_probe(docker: DockerCLI, probe: Probe, rewrites: dict[str, Rewrite] | None = None) -> ProbeResult:
    """Build the original and every distinct rewrite, judge every mode."""
    started = time.perf_counter()
    result = ProbeResult(probe)
    rewrites = rewrites if rewrites is not None else rewrites_of(probe)
    original = probe.text
    distinct = sorted({r.output for r in rewrites.values() if r.output is not None and r.output != original})
    needs_fresh = any("type=cache" in t for t in [original, *distinct])
    tag = f"dockopt-probe-{probe.name.lower()}-{uuid.uuid4().hex[:8]}"
    texts = {"original": original, **{f"rewrite{i}": t for i, t in enumerate(distinct)}}
    if probe.expect == "refused":
        texts = {"original": original}  # nothing else may be written
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        futures = {
            key: pool.submit(build, docker, probe, text, f"{tag}:{key}", needs_fresh)
            for key, text in texts.items()
        }
        built = {key: future.result() for key, future in futures.items()}
    result.builds = len(built)
    base = built["original"]
    by_text = {texts[k]: v for k, v in built.items()}

    if probe.expect in ("build-fails", "refused"):
        if base.snapshot is not None:
            result.original = "broken: the original builds but the probe expects it to fail"
        else:
            result.original = "fails (as expected)"
    elif base.snapshot is None:
        result.original = "broken: the original does not build\n" + (base.failure or "")
    else:
        result.original = "builds"

    for mode, rw in rewrites.items():
        result.modes[mode] = _judge(probe, mode, rw, base, by_text, result.original)
    result.seconds = time.perf_counter() - started
    return result


def _judge(
    probe: Probe, mode: str, rw: Rewrite, base: Built, by_text: dict[str, Built], original_state: str
) -> ModeResult:
    safe = mode.startswith("safe")
    header = f"probe {probe.name} (class {probe.klass}: {probe.description})\nmode {mode}"
    if original_state.startswith("broken"):
        return ModeResult(mode, "broken probe", False, detail=f"{header}\nBROKEN PROBE: {original_state}")
    if probe.expect == "refused":
        if rw.refused:
            return ModeResult(mode, "refused", True, note=rw.refused.split(": ", 1)[-1][:60])
        what = rw.error or ("rewrote it" if rw.output != probe.text else "accepted it and left it alone")
        return ModeResult(
            mode,
            "accepted",
            False,
            rw.codes,
            detail=f"{header}\nBuildKit's build refuses this file, but dockopt {what} instead of refusing "
            f"with `path:line:col: message` (applied: {', '.join(rw.codes) or 'none'})",
            note="not refused",
        )
    if rw.refused:
        return ModeResult(
            mode,
            "refused",
            False,
            detail=f"{header}\ndockopt refused a file BuildKit builds: {rw.refused}",
            note=rw.refused.split(": ", 1)[-1][:60],
        )
    if rw.error:
        return ModeResult(
            mode, "error", False, detail=f"{header}\nInternalError: {rw.error}", note=rw.error[:70]
        )
    assert rw.output is not None
    if rw.output == probe.text:
        if probe.control and mode == "safe+cleanup":
            return ModeResult(
                mode,
                "left alone",
                False,
                detail=f"{header}\nCONTROL left alone: the safe rewrite of an ordinary case changed nothing "
                f"(dockopt became timid here)",
                note="control not optimized",
            )
        return ModeResult(mode, "left alone", True)

    after = by_text[rw.output]
    diff = dockerfile_diff(probe.text, rw.output, "Dockerfile")
    applied = ", ".join(rw.codes)
    unsafe_note = "; ".join(f"{f.code}: {f.message}" for f in rw.unsafe)
    short = ""
    if probe.expect == "build-fails":
        if after.snapshot is None:
            verdict, equal, why = "equal", True, ""
        else:
            verdict, equal, why = "differs", False, "the original fails to build, the rewrite builds"
            short = why
    elif after.snapshot is None:
        verdict, equal, why = (
            "broke",
            False,
            f"the rewrite does not build:\n{_clip(after.failure or '', 3000)}",
        )
        short = _failure_line(after.failure or "")
    else:
        assert base.snapshot is not None
        comparison: Comparison = compare_snapshots(
            base.snapshot,
            after.snapshot,
            allowed_paths=allowed_paths(rw.applied),
            changed_by={c: "" for c in rw.codes},
            volatile=(*VOLATILE_PATTERNS, *EXTRA_VOLATILE),
        )
        equal = comparison.equivalent
        verdict = "equal" if equal else "differs"
        why = "" if equal else "the images differ:\n" + render_comparison(comparison, limit=12)
        short = "; ".join(
            [d.describe() for d in comparison.unexplained[:2]]
            + [d.describe() for d in comparison.config_differences[:2]]
        )
    if equal:
        return ModeResult(mode, verdict, True, rw.codes)
    if not safe and rw.unsafe:
        return ModeResult(mode, verdict, True, rw.codes, note=f"unsafe: {unsafe_note[:80]}")
    promise = "a safe rewrite" if safe else "an unsafe-mode rewrite with no UNSAFE finding"
    return ModeResult(
        mode,
        verdict,
        False,
        rw.codes,
        detail=f"{header}\n{promise} {'broke the build' if verdict == 'broke' else 'changed the image'} "
        f"(applied: {applied})\n{why}\n--- Dockerfile diff ---\n{diff}",
        note=_one_line(short, 200),
    )


def _failure_line(failure: str) -> str:
    """`[3/4] RUN make` exit code: 2 — the failed step and how it failed, on one line."""
    step = re.match(r"\[failed step: (.*?)\] ", failure)
    code = re.findall(r"exit code: \d+", failure)
    errors = [line.strip() for line in failure.splitlines() if "error" in line.lower()]
    how = code[-1] if code else (errors[-1] if errors else (failure.splitlines() or [""])[-1])
    return (f"`{_one_line(step.group(1), 110)}` " if step else "") + _one_line(how, 160)


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- the table --------------------------------------------------------------------------------

SHORT = {
    "left alone": "alone",
    "equal": "equal",
    "differs": "DIFFERS",
    "broke": "BROKE",
    "refused": "refused",
    "error": "ERROR",
    "accepted": "ACCEPTED",
    "broken probe": "BROKEN-PROBE",
}


def table(results: list[ProbeResult]) -> str:
    modes = list(MODES)
    lines = [
        "| probe | class | " + " | ".join(modes) + " | s |",
        "|---|---|" + "---|" * len(modes) + "---|",
    ]
    for r in sorted(results, key=lambda r: r.probe.name):
        cells = []
        for mode in modes:
            m = r.modes.get(mode)
            if m is None:
                cells.append("?")
                continue
            cell = SHORT.get(m.verdict, m.verdict)
            if m.codes and m.verdict != "left alone":
                cell += f" ({','.join(m.codes)})"
            if not m.ok:
                cell = f"**{cell} ✗**"
            cells.append(cell)
        flag = " (control)" if r.probe.control else ""
        lines.append(
            f"| {r.probe.name}{flag} | {r.probe.klass} | " + " | ".join(cells) + f" | {r.seconds:.0f} |"
        )
    lines += [
        "",
        "| mode | " + " | ".join(SHORT.values()) + " | failing |",
        "|---|" + "---|" * (len(SHORT) + 1),
    ]
    for mode in modes:
        counts = {v: 0 for v in SHORT}
        failing = 0
        for r in results:
            m = r.modes.get(mode)
            if m is not None:
                counts[m.verdict] = counts.get(m.verdict, 0) + 1
                failing += not m.ok
        lines.append(f"| {mode} | " + " | ".join(str(counts[v]) for v in SHORT) + f" | {failing} |")
    failing = [(r, m) for r in results for m in r.modes.values() if not m.ok]
    if failing:
        lines += ["", "Failing (probe — modes: verdict (applied codes) — why):", ""]
        grouped: dict[tuple[str, str, str, str], list[str]] = {}
        for r, m in sorted(failing, key=lambda x: x[0].probe.name):
            reason = m.note or _one_line(m.detail.splitlines()[-1] if m.detail else "", 160)
            grouped.setdefault((r.probe.name, m.verdict, ", ".join(m.codes) or "-", reason), []).append(
                m.mode
            )
        for (name, verdict, codes, reason), modes_ in grouped.items():
            lines.append(f"- `{name}` — {', '.join(modes_)}: {verdict} ({codes}) — {reason}")
    return "\n".join(lines)


def results_from_jsonl(path: Path) -> list[ProbeResult]:
    """Rebuild results from the progress log a run writes with DOCKOPT_PROBE_JSONL (for the table)."""
    import json

    probes = {p.name: p for p in load_probes()}
    out = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        result = ProbeResult(probes[row["probe"]], seconds=row["seconds"])
        for mode, (verdict, ok, codes, note) in row["modes"].items():
            result.modes[mode] = ModeResult(mode, verdict, ok, codes, detail="", note=note)
        out.append(result)
    return out


if __name__ == "__main__":  # python tests/adversarial/adversarial_probes.py progress.jsonl
    import sys

    print(table(results_from_jsonl(Path(sys.argv[1]))))
