"""Comparison of our tree with BuildKit's parser (the ``dockerfile`` package), shared by tests."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def corpus_files() -> list[Path]:
    files = sorted(CORPUS.glob("real/*/Dockerfile"))
    files += sorted(CORPUS.glob("buildkit-parser/testfiles/*/Dockerfile"))
    files += sorted(CORPUS.glob("buildkit-parser/testfile-line/Dockerfile"))
    files += sorted(CORPUS.glob("dockerfile-parse-cases/*/Dockerfile"))
    return files


def negative_files() -> list[Path]:
    return sorted(CORPUS.glob("buildkit-parser/testfiles-negative/*/Dockerfile"))


def ours_as_oracle(tree) -> list[tuple]:
    rows = []
    for ins in tree.instructions:
        target = ins.sub or ins
        rows.append(
            (
                ins.name,
                target.name if ins.sub else None,
                ins.line,
                ins.end_line,
                tuple(f.text for f in ins.flags),  # ONBUILD: the binding reports the outer (empty) flags
                tuple(ins.value),
                ins.json,
                tuple((h.name, h.content) for h in ins.heredocs) if ins.sub is None else (),
            )
        )
    return rows


def oracle_rows(commands) -> list[tuple]:
    return [
        (
            c.cmd.upper(),
            c.sub_cmd.upper() if c.sub_cmd else None,
            c.start_line,
            c.end_line,
            tuple(c.flags),
            tuple(c.value),
            c.json,
            tuple((h.name, h.content) for h in c.heredocs),
        )
        for c in commands
    ]
