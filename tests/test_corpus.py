"""The invariants of DESIGN.md, checked on every file of ../shared/corpus/.

1. print(parse(text)) == text; 2. BuildKit's parser agrees with ours; 3. every output re-parses
with BuildKit; 4. fix(fix(x)) == fix(x); 5. with every rule off the output is the input.
"""

from __future__ import annotations

import pytest
from oracle import CORPUS, corpus_files, negative_files, oracle_rows, ours_as_oracle

from optimizer.core.config import Settings
from optimizer.engine import fix_text
from optimizer.engine.oracle import buildkit_error
from optimizer.syntax import parse
from optimizer.syntax.instructions import InstructionError

FILES = corpus_files()
IDS = [str(p.parent.relative_to(CORPUS)) for p in FILES]
# Files BuildKit parses but a build rejects; our parser reports them (the oracle cannot).
KNOWN_INVALID = {
    "dockerfile-parse-cases/test_invalid_dockerfile_structure__0": "unknown instruction: apt-get",
    "dockerfile-parse-cases/test_add_lines_stage_edge__0": "file with no instructions",
    # Parser test inputs BuildKit's parser reads but its instruction layer (any build) refuses
    # (optimizer/syntax/instructions.py); none of the real/ files is among them.
    "buildkit-parser/testfiles/flags": "unknown flag --user for COPY (it takes: --chown, --from, --chmod, --link, --exclude, --parents)",
    "buildkit-parser/testfiles/health": "HEALTHCHECK requires at least one argument",
    "dockerfile-parse-cases/test_parent_images_missing_from__0": "FROM requires either one argument (the image) or three (image AS name)",
    **{
        # bare CMD/LABEL/ENV lines without a FROM: snippets for the parser, not buildable files
        f"{case}": f"{keyword} before the first FROM: no build stage in current context"
        for case, keyword in [
            ("buildkit-parser/testfiles/jeztah-invalid-json-json-inside-string", "CMD"),
            ("buildkit-parser/testfiles/jeztah-invalid-json-json-inside-string-double", "CMD"),
            ("buildkit-parser/testfiles/jeztah-invalid-json-single-quotes", "CMD"),
            ("buildkit-parser/testfiles/jeztah-invalid-json-unterminated-bracket", "CMD"),
            ("buildkit-parser/testfiles/jeztah-invalid-json-unterminated-string", "CMD"),
            ("buildkit-parser/testfiles/json", "CMD"),
            ("dockerfile-parse-cases/test_add_del_instruction__0", "CMD"),
        ]
    },
}


def _text(path) -> str:
    return path.read_bytes().decode("utf-8")


def test_corpus_is_there():
    assert len(FILES) >= 300, f"expected the whole corpus under {CORPUS}, found {len(FILES)} files"
    assert len(list(CORPUS.glob("real/*/Dockerfile"))) == 246


@pytest.mark.parametrize(
    "path", FILES + negative_files(), ids=IDS + [f"negative/{p.parent.name}" for p in negative_files()]
)
def test_round_trip(path):
    text = _text(path)
    tree = parse(text)
    assert tree.print() == text
    # The nodes partition the text: each starts where the previous one ended.
    cursor = len(tree.bom)
    for node in tree.nodes:
        assert node.start == cursor
        assert text[node.start : node.end] == node.text
        cursor = node.end
    assert cursor == len(text)


def _explain_nul(rows):
    """The ``dockerfile`` binding hands strings to Python as C strings: they end at a NUL."""
    return [(*row[:5], tuple(v.split("\x00")[0] for v in row[5]), *row[6:]) for row in rows]


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_agrees_with_buildkit(path):
    import dockerfile

    text = _text(path)
    tree = parse(text)
    key = str(path.parent.relative_to(CORPUS))
    if key in KNOWN_INVALID:
        assert [e.message for e in tree.errors] == [KNOWN_INVALID[key]]
        if not all(isinstance(e, InstructionError) for e in tree.errors):
            return  # BuildKit's parser reads these too: compare below
    else:
        assert tree.errors == []
    theirs = oracle_rows(dockerfile.parse_string(text))
    assert _explain_nul(ours_as_oracle(tree)) == theirs


@pytest.mark.parametrize("path", negative_files(), ids=[p.parent.name for p in negative_files()])
def test_negative_files_are_errors(path):
    tree = parse(_text(path))
    assert tree.errors, "BuildKit rejects this file, so must we"
    assert buildkit_error(_text(path)) is not None


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_spans_point_at_the_source(path):
    """Offsets rules edit by: keyword, flags and heredoc bodies read back from the text."""
    text = _text(path)
    tree = parse(text)
    for ins in tree.instructions:
        for part in filter(None, (ins, ins.sub)):
            if "\n" not in text[part.keyword_start : part.keyword_start + len(part.keyword)]:
                assert text[part.keyword_start : part.keyword_end] == part.keyword
            for flag in part.flags:
                written = text[flag.start : flag.end]
                if "\n" not in written and "'" not in written and '"' not in written and "\\" not in written:
                    assert written == flag.text
        for doc in ins.heredocs:
            assert text[doc.body_start : doc.body_end] == doc.content
        assert ins.start <= ins.keyword_start < ins.end


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_rules_off_is_identity(path):
    text = _text(path)
    if parse(text).errors:
        pytest.skip("invalid input is refused before any rule runs")
    outcome = fix_text(text, Settings(ignore=("ALL",)))
    assert outcome.output == text
    assert outcome.applied == []


@pytest.mark.parametrize("mode", ["safe", "unsafe", "verified"])
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_outputs_reparse_and_are_idempotent(path, mode):
    """``verified`` also applies the fixes that need a build to prove them (DO501's split), as the
    ``--verify`` path writes them once the build passed."""
    text = _text(path)
    if parse(text).errors:
        pytest.skip("invalid input is refused before any rule runs")
    context = path.parent if "real" in path.parts else None
    settings = Settings(select=("ALL",), unsafe_fixes=mode != "safe")
    verified = mode == "verified"
    outcome = fix_text(text, settings, path=path, context_dir=context, verified=verified)
    assert outcome.error is None, outcome.error
    if outcome.changed:
        assert parse(outcome.output).errors == []
        assert buildkit_error(outcome.output) is None
    written = {change.path: change.after for change in outcome.files}  # its .dockerignore, as written
    again = fix_text(
        outcome.output, settings, path=path, context_dir=context, files=written, verified=verified
    )
    assert again.output == outcome.output, "a second run changed the output"
    assert again.applied == []
    assert again.files == [], "a second run changed the .dockerignore again"


def test_cli_echoes_every_corpus_file_with_rules_off():
    """`dockopt --ignore ALL - < f` prints f byte for byte (format-on-save must never mangle a file)."""
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    def run(path):
        data = path.read_bytes()
        proc = subprocess.run(
            [sys.executable, "-m", "optimizer", "--ignore", "ALL", "-"], input=data, capture_output=True
        )
        return path, data, proc

    valid = [p for p in FILES if not parse(_text(p)).errors]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for path, data, proc in pool.map(run, valid):
            assert proc.returncode == 0, (path, proc.stderr)
            assert proc.stdout == data, path
