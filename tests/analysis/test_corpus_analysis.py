"""The analysis layer over every real Dockerfile of ../shared/corpus/real/, each folder as its context.

Each folder holds the Dockerfile plus the small manifests of its upstream build context
(``_context.json`` says which). Detection, ignore-file loading, scope tracking and COPY source
resolution must run without raising on all of them. The per-ecosystem counts are printed
(``pytest -s tests/analysis/test_corpus_analysis.py``) so changes in coverage are visible.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from optimizer.analysis.context import BuildContext, context_copies
from optimizer.analysis.dockerignore import IgnoreFileError
from optimizer.analysis.manifests import detect_manifests, find_manifest_dirs
from optimizer.syntax import parse

REAL = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "real"
FOLDERS = sorted(p for p in REAL.glob("*/") if (p / "Dockerfile").is_file()) if REAL.is_dir() else []


@pytest.mark.skipif(not FOLDERS, reason=f"no corpus at {REAL}")
def test_corpus_detection_runs_everywhere() -> None:
    ecosystems: Counter[str] = Counter()
    folders_with: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    copies = Counter[str]()
    with_manifests = 0
    for folder in FOLDERS:
        try:
            context = BuildContext(folder, folder / "Dockerfile")
            context.complete  # noqa: B018 - forces the walk
        except IgnoreFileError as exc:  # a context Docker itself would refuse
            ecosystems["<ignore file rejected>"] += 1
            print(f"{folder.name}: {exc}")
            continue
        seen = set()
        for directory in find_manifest_dirs(context):
            for found in detect_manifests(context, directory):
                ecosystems[found.ecosystem] += 1
                seen.add(found.ecosystem)
                if not found.self_contained:
                    reasons[found.ecosystem] += 1
                assert all(context.is_sent(f) for f in found.files), found
        with_manifests += bool(seen)
        folders_with.update(seen)
        tree = parse((folder / "Dockerfile").read_bytes().decode("utf-8", errors="replace"))
        for copy in context_copies(tree):
            copies["resolved" if copy.known else "unknown"] += 1
            if copy.known:
                copy.matches(context)  # globs must evaluate on every real source
    meta = json.loads((FOLDERS[0] / "_context.json").read_text())
    assert "inferred_context_dir" in meta
    print(f"\ncorpus: {len(FOLDERS)} folders, {with_manifests} with detected manifests")
    for name, count in sorted(ecosystems.items(), key=lambda kv: (-kv[1], kv[0])):
        print(
            f"  {name:10} {count:3} detections in {folders_with[name]:3} folders, {reasons[name]:3} need more than manifests"
        )
    print(f"  context COPY/ADD: {copies['resolved']} fully resolved, {copies['unknown']} with unknown parts")
    assert with_manifests >= 50
