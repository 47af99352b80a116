"""DO401/DO402 over the real corpus, each folder used as its own build context.

61 folders of ../shared/corpus/real/ hold the manifests that sat beside the Dockerfile upstream
(MANIFEST.tsv, ``has_context_manifests``); the other folders are contexts with nothing in them,
which exercises the "no manifest" paths. Every output must re-parse with BuildKit and be stable
under a second pass, with and without unsafe fixes. ``test_corpus_counts`` prints the numbers for
the issue's closing note and pins which folders are rewritten, so a change in behaviour shows up.

The folders are partial contexts (no source files, some lockfiles left out for size — see
``omitted_manifests``): the rule sees exactly what is there, which is what these counts describe.
"""

from __future__ import annotations

import csv
from collections import Counter

import pytest
from oracle import CORPUS

from optimizer.analysis.scope import instruction_scopes
from optimizer.core.config import Settings
from optimizer.engine import fix_text
from optimizer.engine.oracle import buildkit_error
from optimizer.rules.base import Facts
from optimizer.rules.caching._plan import full_copy, walk
from optimizer.rules.caching.copy_manifests_first import plan
from optimizer.syntax import parse

REAL = CORPUS / "real"
if not (REAL / "MANIFEST.tsv").is_file():  # tests/test_corpus.py fails loudly when the corpus is missing
    pytest.skip(f"the corpus is not at {CORPUS} (../shared beside the checkout)", allow_module_level=True)
ROWS = list(csv.DictReader((REAL / "MANIFEST.tsv").open(encoding="utf-8"), delimiter="\t"))
WITH_MANIFESTS = [REAL / row["id"] for row in ROWS if row["has_context_manifests"] == "true"]
EVERY = [REAL / row["id"] for row in ROWS]
SAFE = Settings(select=("DO401", "DO402"))
UNSAFE = Settings(select=("DO401", "DO402"), unsafe_fixes=True)

# What the pass does with these contexts (see the module docstring): pinned, so changes are seen.
REWRITTEN_SAFE = {
    "GoogleContainerTools__distroless__examples__go__Dockerfile",
    "GoogleContainerTools__distroless__examples__nodejs__Dockerfile",
    "GoogleContainerTools__distroless__examples__nodejs__node-express__Dockerfile",
    "docker__awesome-compose__nginx-wsgi-flask__flask__Dockerfile",
    "docker__awesome-compose__vuejs__vuejs__Dockerfile",
}
REWRITTEN_UNSAFE_ONLY = {
    "huginn__huginn__docker__multi-process__Dockerfile",  # npm install may rewrite package-lock.json
    "huginn__huginn__docker__single-process__Dockerfile",
}


def _run(folder, settings):
    text = (folder / "Dockerfile").read_bytes().decode("utf-8")
    where = {"path": folder / "Dockerfile", "context_dir": folder}
    outcome = fix_text(text, settings, **where)
    assert outcome.error is None, outcome.error
    if outcome.changed:
        assert buildkit_error(outcome.output) is None
        assert not fix_text(outcome.output, settings, **where).changed, "not idempotent"
    return text, outcome


def test_the_corpus_has_the_context_folders():
    assert len(WITH_MANIFESTS) == 61


@pytest.mark.parametrize("folder", EVERY, ids=[f.name for f in EVERY])
@pytest.mark.parametrize("settings", [SAFE, UNSAFE], ids=["safe", "unsafe"])
def test_outputs_reparse_and_are_stable(folder, settings):
    if parse((folder / "Dockerfile").read_bytes().decode("utf-8")).errors:
        pytest.skip("a file a build would reject: never rewritten")
    _run(folder, settings)


def _left_alone(folder, text) -> list[str]:
    """Why each source copy of a file that was not rewritten stays where it is."""
    tree = parse(text)
    ctx = Facts(tree=tree, text=text, settings=SAFE, path=folder / "Dockerfile", context_dir=folder)
    context, _ = ctx.build_context()
    scopes = instruction_scopes(tree)
    answers = {a.copy.instruction: a for a in plan(ctx)}
    reasons = []
    for instruction in tree.instructions:
        copy = full_copy(tree, instruction, scopes, context)
        if copy is None:
            continue
        answer = answers.get(instruction)
        if answer is not None:
            reasons.append(
                answer.message if not answer.edits else f"unsafe fix only ({'; '.join(answer.unsafe)})"
            )
            continue
        route = walk(tree, copy, scopes, context, reorder=True)
        if route.stop is None:
            reasons.append("already ordered: no RUN after the source copy")
        elif route.stop_run is None:
            reasons.append(f"already ordered: {route.stop.name} follows the source copy")
        else:
            first = next(c for c in route.stop_run.commands if c.reading.kind != "independent")
            reasons.append(
                f"the next RUN needs the source, no install before it (`{first.command.text[:40]}`)"
            )
    return reasons or ["no COPY of a whole directory (manifests and sources are copied separately)"]


def test_corpus_counts(capsys):
    rewritten: dict[str, set[str]] = {"safe": set(), "unsafe": set()}
    declined: Counter[str] = Counter()
    lines = []
    for folder in WITH_MANIFESTS:
        text, outcome = _run(folder, SAFE)
        if outcome.changed:
            rewritten["safe"].add(folder.name)
            continue
        if _run(folder, UNSAFE)[1].changed:
            rewritten["unsafe"].add(folder.name)
        for reason in _left_alone(folder, text):
            declined[reason.split(" (`")[0].split(":")[0]] += 1
            lines.append(f"  {folder.name}: {reason}")
    with capsys.disabled():
        print(
            f"\nDO401/DO402 on {len(WITH_MANIFESTS)} corpus contexts: {len(rewritten['safe'])} rewritten by "
            f"safe fixes, {len(rewritten['unsafe'])} more with --unsafe-fixes; left alone:"
        )
        for reason, count in declined.most_common():
            print(f"  {count:3}  {reason}")
        print("\n".join(lines))
    assert rewritten["safe"] == REWRITTEN_SAFE
    assert rewritten["unsafe"] == REWRITTEN_UNSAFE_ONLY
    # A cargo build after the source copy is left alone here: DO403 reports it, with the stub-crate shape.
    assert any("(`cargo build" in line for line in lines)
