"""Per rule, over the corpus: fixes applied, and findings left unfixed (unsafe / display-only) by reason.

    python bench/corpus_counts.py [--baseline PATH] [--out FILE]

Each checkout runs in its own process (``sys.path`` set to it), default settings (safe fixes, cleanup
strategy), every ``../shared/corpus`` Dockerfile with its folder as the build context. A finding left
unfixed is grouped by the reason its message gives (the text after "because", "unsafe:", "not …"),
cut to its first words, so the price of soundness — what a rule now declines — is visible next to
what it still fixes. Writes a markdown table (bench/CORPUS_COUNTS.md by default).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parent / "shared" / "corpus"

_WORKER = r"""
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from optimizer.engine import fix_text
try:
    from optimizer.core.config import Settings
except ImportError:
    from optimizer.settings import Settings
rows = []
for path in sorted(Path(sys.argv[2]).rglob("Dockerfile")):
    if "testfiles-negative" in path.parts:
        continue
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    try:
        outcome = fix_text(text, Settings(), path=path, context_dir=path.parent)
    except Exception as exc:
        rows.append({"error": type(exc).__name__})
        continue
    for f in outcome.applied:
        rows.append({"code": f.code, "kind": "applied"})
    for f in outcome.remaining:
        rows.append({"code": f.code, "kind": f.applicability.value, "message": f.message})
print(json.dumps(rows))
"""

_REASON = re.compile(
    r"(?:because|unsafe: |not changed: |not cleaned: |not removed |not joined: |stays before this RUN: |; )(.*)$"
)


def _reason(message: str) -> str:
    match = _REASON.search(message)
    text = (match.group(1) if match else message).strip()
    text = re.sub(r"line \d+", "line N", text)
    text = re.sub(r"`[^`]*`", "`…`", text)
    return " ".join(text.split()[:9])


def collect(checkout: Path) -> list[dict]:
    result = subprocess.run(
        [sys.executable, "-c", _WORKER, str(checkout), str(CORPUS)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--out", type=Path, default=HERE / "CORPUS_COUNTS.md")
    args = parser.parse_args()
    runs = {"this checkout": collect(ROOT)}
    if args.baseline:
        runs = {"baseline": collect(args.baseline.resolve()), **runs}
    names = list(runs)
    applied = {
        name: Counter(r["code"] for r in rows if r.get("kind") == "applied") for name, rows in runs.items()
    }
    unfixed = {
        name: Counter((r["code"], r["kind"]) for r in rows if r.get("kind") in ("unsafe", "display-only"))
        for name, rows in runs.items()
    }
    codes = sorted(
        {c for counter in applied.values() for c in counter}
        | {c for counter in unfixed.values() for c, _ in counter}
    )
    lines = [
        "# Corpus counts per rule (safe fixes, cleanup strategy)",
        "",
        "| rule | "
        + " | ".join(f"applied ({n}) | unsafe left ({n}) | display-only ({n})" for n in names)
        + " |",
        "|---|" + "---:|" * (3 * len(names)),
    ]
    for code in codes:
        cells = []
        for name in names:
            cells += [
                str(applied[name][code]),
                str(unfixed[name][(code, "unsafe")]),
                str(unfixed[name][(code, "display-only")]),
            ]
        lines.append(f"| {code} | " + " | ".join(cells) + " |")
    last = runs[names[-1]]
    reasons = Counter(
        (r["code"], r["kind"], _reason(r["message"]))
        for r in last
        if r.get("kind") in ("unsafe", "display-only")
    )
    lines += [
        "",
        f"## Why findings are left unfixed ({names[-1]})",
        "",
        "| rule | kind | reason | count |",
        "|---|---|---|---:|",
    ]
    for (code, kind, reason), count in sorted(reasons.items(), key=lambda item: (item[0][0], -item[1])):
        lines.append(f"| {code} | {kind} | {reason.replace('|', '/')} | {count} |")
    report = "\n".join(lines) + "\n"
    args.out.write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
