"""The rule catalogue the engine loads rules from lazily (optimizer/rules/_catalogue.py, generated).

Two things must never drift: the generated catalogue and README table are what the rules' own
declarations give (codes, names, modules, phases, defaults, triggers, every rule listed), and every
trigger is *sound* — a rule whose trigger is false
for a text finds nothing there. Soundness is checked on every corpus file and every fixture, in both
cache strategies, with unsafe fixes, on the input and on every intermediate text of the fix loop
(the engine evaluates the triggers again each round), and the lazy engine must give exactly what
the engine gives with every rule loaded.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fixture_cases import cases
from oracle import CORPUS, corpus_files

from optimizer.core.config import Settings
from optimizer.engine import fix_text, selected_rules
from optimizer.engine.edits import apply_edits, select_non_overlapping
from optimizer.engine.runner import check, wanted
from optimizer.rules._catalogue import CATALOGUE
from optimizer.rules.base import FAMILIES, Facts, all_rules, matches, rule_modules
from optimizer.rules.catalogue import known_selector
from optimizer.rules.triggers import Probe, shell_words
from optimizer.syntax import parse

ROOT = Path(__file__).resolve().parents[1]
STRATEGIES = ("cleanup", "mounts")
SHIPPED = {rule.code: rule for rule in all_rules() if rule.__module__.startswith("optimizer.rules.")}


# -- catalogue and registered classes agree -----------------------------------------------------


def test_every_shipped_rule_is_listed_once():
    codes = [entry.code for entry in CATALOGUE]
    assert codes == sorted(set(codes)), "catalogue entries must be unique and in code order"
    assert set(codes) == set(SHIPPED)


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda e: e.code)
def test_entry_matches_its_class(entry):
    rule = SHIPPED[entry.code]
    assert entry.name == rule.name
    assert f"optimizer.rules.{entry.module}" == rule.__module__
    assert entry.default_enabled == rule.default_enabled
    assert entry.load() is rule


def test_every_rule_module_is_in_the_catalogue():
    assert set(rule_modules()) == {entry.module for entry in CATALOGUE}


def test_generated_catalogue_and_readme_table_are_current():
    from optimizer.rules.catalogue import stale

    assert not stale(), "run `python -m optimizer.rules.catalogue --write`"


@pytest.mark.parametrize("code", sorted(SHIPPED))
def test_rule_is_declared_in_one_place_and_named_after_itself(code):
    rule = SHIPPED[code]
    family = FAMILIES[code[:3]]
    assert rule.__module__ == f"optimizer.rules.{family}.{rule.name.replace('-', '_')}"
    for attribute in ("code", "name", "summary", "safety", "phase", "trigger"):
        assert attribute in vars(rule), f"{code} must declare {attribute} itself"
    assert rule.summary and not rule.summary.endswith(".")


@pytest.mark.parametrize(
    "selector", ["ALL", "all", "DO", "DO1", "DO3", "DO301", "do402", "merge-runs", "DO9", "nope"]
)
def test_selection_by_entry_is_selection_by_class(selector):
    for entry in CATALOGUE:
        rule = SHIPPED[entry.code]
        assert matches(entry, selector) == matches(rule, selector)
        for settings in (Settings(select=(selector,)), Settings(ignore=(selector,)), Settings()):
            assert settings.enabled(entry) == settings.enabled(rule)
    assert known_selector(selector) == any(matches(rule, selector) for rule in SHIPPED.values())


def _do401_managers() -> set[str]:
    from optimizer.rules.caching._installs_other import HANDLERS

    return {"npm", "yarn", "pnpm", "pip", "uv", *HANDLERS}  # _copy_installs._manager's own handlers


def _reads(code: str) -> tuple[str, set[str]]:
    """What a trigger declares it must cover: ("family" | "manager", names)."""
    trigger = next(entry for entry in CATALOGUE if entry.code == code).trigger
    if getattr(trigger, "families", ()):
        return "family", set(trigger.families)
    if getattr(trigger, "managers", ()):
        return "manager", set(trigger.managers)
    return "manager", _do401_managers()


_COVERING = [
    e.code for e in CATALOGUE if getattr(e.trigger, "families", ()) or getattr(e.trigger, "managers", ())
]


@pytest.mark.parametrize("code", [*_COVERING, "DO401"])
def test_trigger_names_cover_every_spelling_the_shell_model_knows(code):
    """A manager spelling added to the shell model's tables must reach the triggers too."""
    from optimizer.shell.managers import _NAMES, FAMILIES

    needles = next(entry for entry in CATALOGUE if entry.code == code).trigger.needles
    kind, reads = _reads(code)
    spellings = [
        name
        for name, manager in _NAMES.items()
        if (manager if kind == "manager" else FAMILIES[manager]) in reads
    ]
    if "pip" in reads:
        spellings += ["pip", "pip3", "pip3.12", "python3 -m pip"]  # named by a pattern, not the table
    if code == "DO401":
        spellings += ["poetry", "pipenv"]  # read by their first word (_copy_installs._unrecognised_tool)
    assert spellings
    for spelling in spellings:
        assert any(needle in spelling for needle in needles), f"{code}: no trigger name in {spelling!r}"


# -- triggers are sound ------------------------------------------------------------------------


def _rounds(text: str, settings: Settings, where: dict) -> list[str]:
    """The texts the fix loop sees, round by round, with every rule loaded: the input first."""
    rules = [rule() for rule in all_rules() if settings.enabled(rule)]
    texts = [text]
    for _ in range(settings.max_rounds):
        tree = parse(texts[-1])
        if tree.errors:
            break
        findings = check(Facts(tree, texts[-1], settings, **where), rules)
        chosen = select_non_overlapping([f for f in findings if wanted(f, settings)])
        if not chosen:
            break
        texts.append(apply_edits(texts[-1], [e for f in chosen for e in f.fix.edits]))  # type: ignore[union-attr]
    return texts


def _assert_sound(text: str, settings: Settings, where: dict) -> None:
    for round_number, current in enumerate(_rounds(text, settings, where)):
        tree = parse(current)
        if tree.errors:
            continue
        probe = Probe(tree, current, settings)
        for entry in CATALOGUE:
            if entry.trigger(probe):
                continue
            # Also with the rule selected alone: DO402 and the cleanup rules ask whether others are on.
            for variant in (settings, dataclasses.replace(settings, select=(entry.code,))):
                ctx = Facts(tree=tree, text=current, settings=variant, **where)
                found = list(SHIPPED[entry.code]().check(ctx))
                assert not found, (
                    f"{entry.code}'s trigger is false, yet it finds: {[f.message for f in found]}\n"
                    f"--- the text of round {round_number} ---\n{current}"
                )


def _assert_lazy_is_eager(text: str, settings: Settings, where: dict) -> None:
    lazy = fix_text(text, settings, **where)
    eager = fix_text(text, settings, rules=selected_rules(settings), **where)

    def key(outcome):
        def rows(findings):
            return [(f.code, f.line, f.column, f.message, f.fix) for f in findings]

        return (
            outcome.output,
            rows(outcome.applied),
            rows(outcome.remaining),
            outcome.rounds,
            str(outcome.error),
        )

    assert key(lazy) == key(eager)


CORPUS_FILES = [p for p in corpus_files() if not parse(p.read_bytes().decode()).errors]
CORPUS_IDS = [str(p.parent.relative_to(CORPUS)) for p in CORPUS_FILES]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("path", CORPUS_FILES, ids=CORPUS_IDS)
def test_triggers_are_sound_on_the_corpus(path, strategy):
    text = path.read_bytes().decode()
    where = {"path": path, "context_dir": path.parent if "real" in path.parts else None}
    settings = Settings(select=("ALL",), unsafe_fixes=True, cache_strategy=strategy)
    _assert_sound(text, settings, where)
    _assert_lazy_is_eager(text, settings, where)


CASES = cases()


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_triggers_are_sound_on_the_fixtures(case, strategy):
    text = (case.folder / "Dockerfile").read_bytes().decode("utf-8")
    where = {
        "path": case.folder / "Dockerfile",
        "context_dir": case.folder / case.options.get("context", "."),
    }
    _assert_sound(text, Settings(select=("ALL",), unsafe_fixes=True, cache_strategy=strategy), where)
    own = Settings(
        select=tuple(case.options.get("select", [case.code])), unsafe_fixes=True, cache_strategy=strategy
    )
    _assert_lazy_is_eager(text, own, where)


@pytest.mark.parametrize(
    "script, name",
    [
        ('"apt-get" install -y x', "apt-get"),
        ("ap''t-get install", "apt-get"),
        ("a\\pt-get install", "apt-get"),
        ('ap$"t-get" install', "apt-get"),
        ("set -e; apt-\\\nget install", "apt-get"),  # the Dockerfile's continuation
        ("<<EOF\napt-\\\nget install\nEOF", "apt-get"),  # the shell's, in a heredoc
        ('"$VENV"/bin/pip install x', "pip"),
    ],
)
def test_quoting_cannot_hide_a_name(script, name):
    """The shell model reads a word's value with quotes and escapes removed; so does the trigger."""
    tree = parse(f"FROM x\nRUN {script}\n")
    words = shell_words(tree.instructions[1])
    assert words is not None and name in words


def test_ansi_c_quoting_matches_every_name():
    tree = parse("FROM x\nRUN $'\\x61pt-get' install -y x\n")
    probe = Probe(tree, tree.text, Settings())
    assert probe.any_run_mentions("apt", "zypper")


def test_heredoc_bodies_and_onbuild_runs_are_read():
    tree = parse("FROM x\nRUN <<EOF\napk add x\nEOF\nONBUILD RUN gem install y\n")
    probe = Probe(tree, tree.text, Settings())
    assert probe.any_run_mentions("apk") and probe.any_run_mentions("gem")
    assert not probe.any_run_mentions("zypper")


# -- the engine loads only what can fire --------------------------------------------------------

_LOADED = textwrap.dedent(
    """
    import sys
    from optimizer.cli import main
    try:
        main(sys.argv[1:])
    except SystemExit as exit:
        code = exit.code
    names = sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.count(".") == 3 and m.startswith("optimizer.rules."))
    print(code, " ".join(n for n in names if not n.startswith("_")))
    """
)


def _loaded(tmp_path, text: str, *args: str) -> tuple[str, set[str]]:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(text)
    result = subprocess.run(
        [sys.executable, "-c", _LOADED, "--check", *args, str(dockerfile)],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    code, _, names = result.stdout.strip().splitlines()[-1].partition(" ")
    return code, set(names.split())


@pytest.mark.parametrize(
    "text, args, expected",
    [
        ('FROM alpine\nCMD ["sh"]\n', (), ("0", set())),
        ('from alpine\nCMD ["sh"]\n', (), ("1", {"uppercase_keywords"})),
        ("from alpine\nADD a b\n", ("--select", "DO102"), ("1", {"add_to_copy"})),
        ("# dockopt: ignore-file\nfrom alpine\nADD a b\n", (), ("0", set())),
        ("# dockopt: ignore-file=DO1\nfrom alpine\nRUN apk add x\n", (), ("1", {"apk_no_cache"})),
        ("FROM alpine\nRUN apk add x\n", ("--ignore", "apk-no-cache"), ("0", set())),
    ],
)
def test_only_rules_that_can_fire_are_imported(tmp_path, text, args, expected):
    assert _loaded(tmp_path, text, *args) == expected


def test_selector_validation_imports_no_rule(tmp_path):
    code, names = _loaded(tmp_path, "FROM alpine\n", "--select", "DO1,merge-runs", "--ignore", "DO3")
    assert (code, names) == ("0", set())
