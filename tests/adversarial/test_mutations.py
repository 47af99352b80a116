"""Issue 16's mutation fuzzer: real Dockerfiles from the shared corpus, mutated the way the issue's
fuzzer found defects, through ``fix_text`` in a random mode. One property test per mutation class (so a
class that breaks an invariant shows by name; none is xfailed), plus one that stacks several.

Mutations: a dangling ``RUN x\\`` appended without a final newline; a heredoc inserted into a RUN; keywords
lower-cased (ONBUILD triggers too); a RUN line padded to just under (or just over) BuildKit's 65,535-byte
line limit; non-ASCII text in a flag value; blank and comment lines inside a continuation; the final
newline dropped; CRLF line endings; rare but valid shell in a RUN (``SHELL_ODDITIES``).

Invariants, for every mutant:
- no exception but ``ParseError``, and a refusal is one line with a position (what the CLI prints as
  ``path:line:col: message``);
- a mutant BuildKit's parser rejects is refused; a mutant BuildKit parses is not refused when the
  unmutated file was accepted (every mutation here keeps the file buildable);
- no InternalError (the fixes converge and re-parse);
- the output parses with BuildKit and keeps the input's instruction structure as the applied fixes
  declare it: every instruction that is not RUN/COPY/ADD is still there, in order, with the same
  BuildKit value and flags; COPY+ADD grow only by DO401's splits and DO403's manifest copies, ADD
  shrinks only by DO102, RUNs disappear only by a merge (DO201/DO302/DO313) and are added only by
  DO401's install split, DO403's pre-fetch and DO301 in mounts mode — no instruction vanishes into
  another;
- idempotent: ``fix_text`` of the output changes nothing.

Bounded for CI (``DOCKOPT_FUZZ_EXAMPLES``, default 12 per class, well under 60 s in all); raise it for a
nightly-style run, e.g. ``DOCKOPT_FUZZ_EXAMPLES=500``.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import dockerfile
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.core.config import Settings
from optimizer.engine import fix_text
from optimizer.engine.oracle import buildkit_error
from optimizer.syntax import ParseError

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "real"
EXAMPLES = int(os.environ.get("DOCKOPT_FUZZ_EXAMPLES", "12"))
MAX_LINE = 65_535
MODES = [Settings(unsafe_fixes=u, cache_strategy=s) for u in (False, True) for s in ("cleanup", "mounts")]


@lru_cache(maxsize=1)
def corpus() -> list[tuple[str, str, Path]]:
    """(name, text, folder) of every corpus file dockopt accepts as it is, smallest first."""
    if not CORPUS.is_dir():
        return []
    out = []
    for folder in sorted(p for p in CORPUS.iterdir() if (p / "Dockerfile").is_file()):
        try:
            text = (folder / "Dockerfile").read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
        if len(text) > 40_000:  # keep an example fast; the big files add nothing the small ones lack
            continue
        try:
            fix_text(text, Settings(), path=folder / "Dockerfile", context_dir=folder)
        except ParseError:
            continue
        out.append((folder.name, text, folder))
    return sorted(out, key=lambda item: len(item[1]))


# -- mutations: each takes the text and a random source, returns the mutant -------------------------

_INSTRUCTION = re.compile(r"^([ \t]*)([A-Za-z]+)([ \t]+|$)", re.MULTILINE)
_RUN_LINE = re.compile(r"^[ \t]*RUN[ \t]+(?!\[)(?!.*<<)(?!.*\\\s*$)(.+)$", re.MULTILINE | re.IGNORECASE)


def _eol(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def m_dangling(text: str, rnd) -> str:
    return text.rstrip("\r\n") + _eol(text) + "RUN x\\"


def m_heredoc(text: str, rnd) -> str:
    runs = list(_RUN_LINE.finditer(text))
    if not runs:
        return text
    match = rnd.choice(runs)
    nl = _eol(text)
    tag = rnd.choice(["EOF", "SCRIPT", "END"])
    body = rnd.choice(["hello", "set -e", "echo café > /tmp/x", "apk update"])
    replacement = f"RUN cat <<{tag} > /tmp/heredoc && {match.group(1).rstrip()}{nl}{body}{nl}{tag}"
    return (
        text[: match.start()]
        + match.group(0)[: match.group(0).upper().index("RUN")]
        + replacement
        + text[match.end() :]
    )


def m_lowercase(text: str, rnd) -> str:
    every = rnd.random() < 0.5

    def lower(match: re.Match[str]) -> str:
        if not every and rnd.random() < 0.5:
            return match.group(0)
        return match.group(1) + match.group(2).lower() + match.group(3)

    out = _INSTRUCTION.sub(lower, text)
    # ONBUILD triggers: "ONBUILD RUN x" → "onbuild run x"
    return re.sub(r"(?im)^([ \t]*onbuild[ \t]+)([A-Za-z]+)", lambda m: m.group(1) + m.group(2).lower(), out)


def m_long_line(text: str, rnd) -> str:
    runs = list(_RUN_LINE.finditer(text))
    if not runs:
        return text
    match = rnd.choice(runs)
    line = match.group(0)
    over = rnd.random() < 0.25
    target = rnd.randint(MAX_LINE + 1, MAX_LINE + 40) if over else rnd.randint(MAX_LINE - 120, MAX_LINE)
    pad = target - len(line.encode()) - len(" && echo ")
    if pad <= 0:
        return text
    return text[: match.end()] + " && echo " + "x" * pad + text[match.end() :]


def m_nonascii_flag(text: str, rnd) -> str:
    runs = list(_RUN_LINE.finditer(text))
    if not runs:
        return text
    match = rnd.choice(runs)
    word = rnd.choice(["café", "naïve", "日本", "ü"])
    flag = rnd.choice(
        [
            f"--mount=type=cache,id={word},target=/var/cache/{rnd.randint(0, 9)}",
            f"--mount=type=tmpfs,target=/tmp/{word}",
        ]
    )
    at = match.start(1)
    return text[:at] + flag + " " + text[at:]


def m_continuation_gaps(text: str, rnd) -> str:
    lines = text.splitlines(keepends=True)
    spots = [i for i, line in enumerate(lines[:-1]) if line.rstrip("\r\n").endswith("\\")]
    if not spots:
        return text
    nl = _eol(text)
    for i in sorted(rnd.sample(spots, min(len(spots), rnd.randint(1, 3))), reverse=True):
        lines.insert(i + 1, rnd.choice([nl, f"# note{nl}", f"    # indented note{nl}", f"   {nl}"]))
    return "".join(lines)


# Valid shell the model must read without failing, however rare: ANSI-C strings naming no character
# (past U+10FFFF, past a C int, surrogates), arithmetic past 64 bits, bash-only compound commands,
# arrays, parameter operators, here-strings, nested substitutions, functions, negation, coprocesses.
SHELL_ODDITIES = [
    "echo $'\\UFFFFFFFF' $'\\U110000' $'\\uD800' $'\\x' $'\\c' $'\\0777'",
    "echo $((1 << 70)) $((-9223372036854775808 / -1)) $((16#ff)) $((2**64))",
    'case "$x" in a|b) echo a ;; (c) ;; *) : ;; esac',
    "[[ -n ${x:-} && $x =~ ^a(b|c)$ ]] || true",
    "arr=(a 'b c' [5]=d) && echo \"${arr[@]}\" ${#arr[*]} ${arr[5]:-}",
    "echo ${x//a/b} ${x^^} ${x,,} ${x:1:2} ${x#*/} ${x%%.*} ${!x:-} ${x@Q}",
    'cat <<< "$(echo "$(echo \')\')")" > /dev/null',
    "f() { local v=1; return 0; } && f",
    "! false && { echo; } && (cd / && pwd) && time -p true",
    "coproc true; wait",
    "echo \\\\ \\' \\\" \\$ \\` '\\' \"\\\\\"",
    "for ((i = 0; i < 2; i++)); do :; done; select x in a; do break; done < /dev/null",
    "exec 3>&1 4<&- 5<> /tmp/f && echo >&3 && echo 2>&1 &> /dev/null |& cat",
    "echo café 日本 😀 $'\\u00e9' ${x:-ü}",
    "eval 'rm -rf /var/lib/apt/lists/*' && command -v apt-get && builtin echo && \\rm -f /x",
]


def m_shell_oddity(text: str, rnd) -> str:
    runs = list(_RUN_LINE.finditer(text))
    if not runs:
        return text
    match = rnd.choice(runs)
    oddity = rnd.choice(SHELL_ODDITIES)
    if rnd.random() < 0.5:
        return text[: match.end()] + " && " + oddity + text[match.end() :]
    at = match.start(1)
    return text[:at] + oddity + " && " + text[at:]


def m_no_final_newline(text: str, rnd) -> str:
    return text.rstrip("\r\n")


def m_crlf(text: str, rnd) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


MUTATIONS = {
    "dangling-continuation": m_dangling,
    "heredoc-in-run": m_heredoc,
    "lowercase-keywords": m_lowercase,
    "long-line": m_long_line,
    "nonascii-flag": m_nonascii_flag,
    "continuation-gaps": m_continuation_gaps,
    "no-final-newline": m_no_final_newline,
    "crlf": m_crlf,
    "shell-oddity": m_shell_oddity,
}


# -- invariants -------------------------------------------------------------------------------


def _structure(text: str) -> list[tuple[str, tuple, tuple]]:
    """BuildKit's reading: (KEYWORD, value, flags) per instruction; ONBUILD keeps its trigger word."""
    out = []
    for command in dockerfile.parse_string(text):
        keyword = command.cmd.upper()
        value = tuple(command.value)
        if keyword == "FROM" and len(value) == 3 and value[1].lower() == "as":
            value = (value[0], "AS", value[2])  # DO101 upper-cases `as`; BuildKit reads both alike
        if keyword == "ONBUILD":
            # the image's OnBuild list holds the trigger exactly as written (case included)
            value = (" ".join(command.original.split()[1:]),)
        out.append((keyword, value, tuple(command.flags)))
    return out


MERGERS = {"DO201", "DO302", "DO313"}


def structure_problems(before: str, after: str, codes: Counter, mounts: bool = False) -> list[str]:
    a, b = _structure(before), _structure(after)
    problems: list[str] = []
    fixed = [i for i in a if i[0] not in ("RUN", "COPY", "ADD")]
    kept = [i for i in b if i[0] not in ("RUN", "COPY", "ADD")]
    if codes["DO103"]:  # declared: MAINTAINER x -> LABEL org.opencontainers.image.authors="x"
        fixed = [i for i in fixed if i[0] != "MAINTAINER"]
        authors = [i for i in kept if i[0] == "LABEL" and i[1][:1] == ("org.opencontainers.image.authors",)]
        maintainers = [i for i in a if i[0] == "MAINTAINER"]
        kept = [i for i in kept if i not in authors or i in fixed]
        if len(maintainers) - len([i for i in b if i[0] == "MAINTAINER"]) > codes["DO103"]:
            problems.append(f"{len(maintainers)} MAINTAINER, {codes['DO103']} DO103 fix(es)")
    if fixed != kept:
        gone = [i for i in fixed if i not in kept][:2]
        new = [i for i in kept if i not in fixed][:2]
        problems.append(f"instructions other than RUN/COPY/ADD changed: lost {gone}, gained {new}")
    ka, kb = Counter(i[0] for i in a), Counter(i[0] for i in b)
    copies_a, copies_b = ka["COPY"] + ka["ADD"], kb["COPY"] + kb["ADD"]
    # DO401 copies manifests first (one COPY or more per fix); DO403 copies a build's manifests before
    # its pre-fetch (one COPY, or none when the stage already copies them on their own)
    if codes["DO401"]:
        copies_ok = copies_b >= copies_a
    else:
        copies_ok = copies_a <= copies_b <= copies_a + codes["DO403"]
    if not copies_ok:
        problems.append(
            f"COPY+ADD count {copies_a} -> {copies_b} with {codes['DO401']} DO401 split(s)"
            f" and {codes['DO403']} DO403 pre-fetch(es)"
        )
    if kb["ADD"] < ka["ADD"] - codes["DO102"] or kb["ADD"] > ka["ADD"]:
        problems.append(f"ADD count {ka['ADD']} -> {kb['ADD']} with {codes['DO102']} DO102 fix(es)")
    merges = sum(codes[c] for c in MERGERS)
    # RUNs added on purpose: DO301 in mounts mode, one per stage (it drops docker-clean so the apt cache
    # mount keeps files); DO401 splits an install RUN at the `&&` before commands that read the source;
    # DO403 inserts one pre-fetch RUN
    added = (codes["DO301"] if mounts else 0) + codes["DO401"] + codes["DO403"]
    if kb["RUN"] > ka["RUN"] + added or (not merges and kb["RUN"] < ka["RUN"]):
        problems.append(f"RUN count {ka['RUN']} -> {kb['RUN']} with {merges} merge fix(es) and {added} added")
    # with no rule that edits RUNs applied (DO2xx, DO3xx), every RUN is still there, same value and flags;
    # only a DO401 split replaces one (by its two halves), only DO401/DO403 add one
    if not any(code.startswith(("DO2", "DO3")) for code in codes):
        runs_a = Counter((i[1], i[2]) for i in a if i[0] == "RUN")
        runs_b = Counter((i[1], i[2]) for i in b if i[0] == "RUN")
        lost, gained = runs_a - runs_b, runs_b - runs_a
        if lost.total() > codes["DO401"] or gained.total() > 2 * codes["DO401"] + codes["DO403"]:
            problems.append(
                f"a RUN changed though no RUN rule applied: lost {str(list(lost))[:200]},"
                f" gained {str(list(gained))[:200]}"
            )
    # every COPY/ADD of the input is still there (as COPY or ADD), same sources, destination and flags
    moved = Counter((i[1], i[2]) for i in b if i[0] in ("COPY", "ADD"))
    for item in a:
        if item[0] in ("COPY", "ADD"):
            if moved[(item[1], item[2])] <= 0:
                problems.append(f"{item[0]} {' '.join(item[1])} vanished")
                break
            moved[(item[1], item[2])] -= 1
    return problems


def check_mutant(name: str, mutant: str, folder: Path, mode: Settings) -> None:
    """Assert every invariant on one mutant; the message names the corpus file and the mode."""
    where = f"{name} ({'unsafe' if mode.unsafe_fixes else 'safe'}+{mode.cache_strategy.value})"
    try:
        bk_error = buildkit_error(mutant)
    except Exception as exc:  # the oracle itself must not crash either
        bk_error = f"oracle crashed: {exc!r}"
    try:
        outcome = fix_text(mutant, mode, path=folder / "Dockerfile", context_dir=folder)
    except ParseError as exc:
        message = exc.format("Dockerfile")
        assert "\n" not in message and exc.line >= 1 and exc.column >= 1, (
            f"{where}: refusal is not one line: {message!r}"
        )
        assert bk_error is not None, f"{where}: refused a mutant BuildKit parses (and builds): {message}"
        return
    assert bk_error is None, (
        f"{where}: accepted a mutant BuildKit rejects ({bk_error}); expected path:line:col refusal"
    )
    assert outcome.error is None, f"{where}: InternalError: {outcome.error}"
    if not outcome.changed:
        return
    error = buildkit_error(outcome.output)
    assert error is None, f"{where}: output does not parse with BuildKit: {error}"
    codes = Counter(f.code for f in outcome.applied)
    problems = structure_problems(mutant, outcome.output, codes, mode.mounts)
    assert not problems, f"{where}: structure changed beyond the fixes ({dict(codes)}): {problems}"
    again = fix_text(outcome.output, mode, path=folder / "Dockerfile", context_dir=folder)
    assert again.error is None, f"{where}: second run: InternalError: {again.error}"
    assert again.output == outcome.output, (
        f"{where}: not idempotent; second run applied {[f.code for f in again.applied]}"
    )


def _settings(n: int):
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=os.environ.get("DOCKOPT_FUZZ_RANDOM") != "1",
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        print_blob=True,
    )


def _require_corpus():
    if not corpus():
        pytest.skip(f"no corpus at {CORPUS}")


@pytest.mark.parametrize("kind", sorted(MUTATIONS))
def test_mutation_class(kind):
    """One mutation class applied to a corpus file (the mutation at a random spot), in a random mode."""
    _require_corpus()

    @_settings(EXAMPLES)
    @given(index=st.integers(0, 10**6), mode=st.sampled_from(MODES), rnd=st.randoms(use_true_random=False))
    def run(index, mode, rnd):
        name, text, folder = corpus()[index % len(corpus())]
        mutant = MUTATIONS[kind](text, rnd)
        check_mutant(f"{kind} on {name}", mutant, folder, mode)

    run()


def test_stacked_mutations():
    """Two or three mutation classes at once (e.g. CRLF + long line + dangling continuation)."""
    _require_corpus()

    @_settings(EXAMPLES * 2)
    @given(
        index=st.integers(0, 10**6),
        kinds=st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=2, max_size=3),
        mode=st.sampled_from(MODES),
        rnd=st.randoms(use_true_random=False),
    )
    def run(index, kinds, mode, rnd):
        name, text, folder = corpus()[index % len(corpus())]
        for kind in kinds:
            text = MUTATIONS[kind](text, rnd)
        check_mutant(f"{'+'.join(kinds)} on {name}", text, folder, mode)

    run()


# -- the named fuzzer findings, as fixed examples (minimal mutants) --------------------------

NAMED = {
    "copy-swallowed-by-dangling-run": "FROM node:18-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci\nRUN npm i\\",
    "heredoc-with-apk": "FROM alpine:3.19\nRUN cat <<EOF > /etc/motd && apk update && apk add curl\nhi\nEOF\n",
    "fix-lengthens-past-limit": "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y jq && echo "
    + "x" * (MAX_LINE - 80)
    + "\n",
    "line-over-limit": "FROM debian:bookworm-slim\nRUN echo " + "x" * MAX_LINE + "\n",
    "nonascii-mount-id": "FROM node:18-slim\nRUN --mount=type=cache,id=café,target=/root/.npm npm ci\n",
    "lowercase-onbuild-trigger": "FROM debian:bookworm-slim\nonbuild run echo hi\nRUN echo a\n",
    "crlf-merge": "FROM debian:bookworm-slim\r\nRUN apt-get update\r\nRUN apt-get install -y jq\r\n",
}


@pytest.mark.parametrize("name", sorted(NAMED))
@pytest.mark.parametrize(
    "mode", MODES, ids=["safe+cleanup", "safe+mounts", "unsafe+cleanup", "unsafe+mounts"]
)
def test_named_mutant(name, mode, tmp_path):
    check_mutant(name, NAMED[name], tmp_path, mode)
