"""DO403 over the corpus: files it rewrites with unsafe fixes on, findings it only reports, by reason.

    PYTHONPATH=. python bench/prefetch_corpus.py [--out bench/PREFETCH_CORPUS.md]

Every ``../shared/corpus`` Dockerfile (negative parser cases left out) with its folder as the build
context, ``--select DO403 --unsafe-fixes``. For each rewritten file the output is parsed again and
fixed a second time: the second pass must change nothing (the same invariant tests/test_corpus.py
checks with every rule on).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

from optimizer.core.config import Settings
from optimizer.engine import fix_text

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared" / "corpus"


def _reason(message: str) -> str:
    for pattern, label in (
        (r"cargo compiles", "cargo: reported with the dependency-only shape"),
        (r"offline|vendor", "the build already runs offline"),
        (r"no build context", "no build context"),
        (r"reaches it from the build context", "manifest missing from the build context"),
        (r"outside the build context|outside the copied project", "replace to a path outside"),
        (r"module pom|not every module", "modules missing from the context"),
    ):
        if re.search(pattern, message):
            return label
    return re.sub(r"`[^`]*`", "`…`", message)[:90]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "PREFETCH_CORPUS.md")
    args = parser.parse_args()
    settings = Settings(select=("DO403",), unsafe_fixes=True)
    files = [p for p in sorted(CORPUS.rglob("Dockerfile")) if "testfiles-negative" not in p.parts]
    changed: list[str] = []
    reported: Counter[str] = Counter()
    problems: list[str] = []
    for path in files:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        try:
            outcome = fix_text(text, settings, path=path, context_dir=path.parent)
        except Exception:
            continue
        if outcome.error is not None:
            problems.append(f"{path}: {outcome.error}")
            continue
        if outcome.output != text:
            changed.append(str(path.parent.relative_to(CORPUS)))
            again = fix_text(outcome.output, settings, path=path, context_dir=path.parent)
            if again.output != outcome.output or again.error is not None:
                problems.append(f"{path}: not idempotent")
        for finding in outcome.remaining:
            if finding.code == "DO403":
                reported[_reason(finding.message)] += 1
    lines = [
        "# DO403 prefetch-dependencies over the corpus (unsafe fixes on)",
        "",
        f"{len(files)} Dockerfiles; {len(changed)} rewritten; "
        f"{sum(reported.values())} findings reported without a fix; {len(problems)} problems.",
        "",
        "## Rewritten",
        "",
        *(f"- {name}" for name in changed),
        "",
        "## Reported only, by reason",
        "",
        "| reason | count |",
        "|---|---:|",
        *(f"| {reason} | {count} |" for reason, count in reported.most_common()),
        "",
        *(["## Problems", "", *(f"- {p}" for p in problems), ""] if problems else []),
    ]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
