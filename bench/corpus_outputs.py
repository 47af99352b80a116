"""Snapshot dockopt's output on every corpus file in four modes (safe/unsafe × cleanup/mounts).

    python bench/corpus_outputs.py OUT.json          # write the snapshot
    python bench/corpus_outputs.py OUT.json --diff BEFORE.json   # and list files whose output changed

Used to prove a refactoring changes no output: run it before and after, compare. Each entry is the
sha256 of the output text (or the error message) per file and mode, and of the findings (applied
and remaining: code, position, message) per file and mode.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus"

MODES = {
    "safe-cleanup": {"unsafe_fixes": False, "cache_strategy": "cleanup"},
    "unsafe-cleanup": {"unsafe_fixes": True, "cache_strategy": "cleanup"},
    "safe-mounts": {"unsafe_fixes": False, "cache_strategy": "mounts"},
    "unsafe-mounts": {"unsafe_fixes": True, "cache_strategy": "mounts"},
}


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("Dockerfile") if "testfiles-negative" not in p.parts)


def snapshot() -> dict[str, dict[str, str]]:
    from optimizer.core.config import Settings
    from optimizer.engine import fix_text

    try:
        from optimizer.core.config import CacheStrategy  # the enum, after the redesign

        def make(unsafe_fixes: bool, cache_strategy: str) -> Settings:
            return Settings(unsafe_fixes=unsafe_fixes, cache_strategy=CacheStrategy(cache_strategy))
    except ImportError:

        def make(unsafe_fixes: bool, cache_strategy: str) -> Settings:
            return Settings(unsafe_fixes=unsafe_fixes, cache_strategy=cache_strategy)

    out: dict[str, dict[str, str]] = {}
    for path in corpus_files():
        key = str(path.relative_to(CORPUS))
        text = path.read_bytes().decode("utf-8", errors="surrogateescape")
        out[key] = {}
        for mode, options in MODES.items():
            found = ""
            try:
                outcome = fix_text(text, make(**options), path=path, context_dir=path.parent)
                result = outcome.output if outcome.error is None else f"ERROR {outcome.error}"
                found = "\n".join(
                    f"{kind} {f.code} {f.line}:{f.column} {f.message}"
                    for kind, group in (("applied", outcome.applied), ("remaining", outcome.remaining))
                    for f in group
                )
            except Exception as exc:  # parse errors of invalid corpus inputs
                result = f"{type(exc).__name__} {exc}"
            out[key][mode] = _digest(result)
            out[key][f"{mode} findings"] = _digest(found)
    return out


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def main(argv: list[str]) -> int:
    target = Path(argv[0])
    started = time.perf_counter()
    data = snapshot()
    target.write_text(json.dumps(data, indent=1, sort_keys=True))
    print(f"{len(data)} files × {len(MODES)} modes in {time.perf_counter() - started:.1f}s → {target}")
    if len(argv) >= 3 and argv[1] == "--diff":
        before = json.loads(Path(argv[2]).read_text())
        changed = [
            (k, m)
            for k in sorted(set(before) | set(data))
            for m in [*MODES, *(f"{mode} findings" for mode in MODES)]
            if before.get(k, {}).get(m) != data.get(k, {}).get(m)
            and (m in MODES or m in before.get(k, {}))  # older snapshots have no findings
        ]
        for key, mode in changed:
            print(f"changed: {key} [{mode}]")
        print(f"{len(changed)} (file, mode) outputs or findings differ")
        return 1 if changed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
