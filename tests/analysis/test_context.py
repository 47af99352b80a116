"""BuildContext listing and COPY source globs, with BuildKit's wildcard rules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from optimizer.analysis.context import BuildContext, normalize_source
from optimizer.analysis.gomatch import BadPattern

TREE = {
    "package.json": "{}",
    "package-lock.json": "{}",
    ".npmrc": "",
    "tsconfig.json": "{}",
    "README.md": "",
    "src/index.ts": "",
    "src/util/a.ts": "",
    "src/util/b.js": "",
    "web/package.json": "{}",
    "api/package.json": "{}",
    "api/deep/package.json": "{}",
    "a*b": "",
    "fileA": "",
    "fileB": "",
    "fileC": "",
    "logs/x.log": "",
    "build/out.o": "",
    "build/keep.txt": "",
    "secret.env": "",
}
IGNORE = "logs\nbuild\n!build/keep.txt\n*.env\n"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def ctx(tmp_path: Path) -> BuildContext:
    write(tmp_path, TREE | {".dockerignore": IGNORE})
    return BuildContext(tmp_path)


GLOBS = [
    ("package.json", ["package.json"]),
    ("/package.json", ["package.json"]),  # a leading / is the context root
    ("../../package.json", ["package.json"]),  # .. cannot leave the context
    ("./src/../package.json", ["package.json"]),
    ("package*.json", ["package-lock.json", "package.json"]),
    ("*.json", ["package-lock.json", "package.json", "tsconfig.json"]),
    ("*/package.json", ["api/package.json", "web/package.json"]),  # * stays in one component
    ("*/*/package.json", ["api/deep/package.json"]),
    ("src/*", ["src/index.ts", "src/util"]),  # a matching directory is taken whole
    ("src/*/*.js", ["src/util/b.js"]),
    ("file?", ["fileA", "fileB", "fileC"]),
    ("file[AB]", ["fileA", "fileB"]),
    ("file[^A]", ["fileB", "fileC"]),
    ("a\\*b", []),  # an escaped wildcard is no wildcard: the literal name a\*b, absent here
    ("a[*]b", ["a*b"]),
    (".*", [".dockerignore", ".npmrc"]),  # * matches leading dots, unlike a shell
    ("nothing*", []),  # an empty wildcard is allowed
    ("missing.txt", []),
    ("*.env", []),  # excluded: invisible
    ("logs/*", []),
    ("build/*", ["build/keep.txt"]),  # brought back by "!"
    ("build", ["build"]),  # visible as the parent of a file that came back
    (".", ["."]),
]


@pytest.mark.parametrize(("source", "want"), GLOBS)
def test_glob(ctx: BuildContext, source: str, want: list[str]) -> None:
    assert sorted(ctx.glob(source)) == want


def test_bad_glob_raises(ctx: BuildContext) -> None:
    with pytest.raises(BadPattern):
        ctx.glob("src/[")


@pytest.mark.parametrize(
    ("path", "exists", "sent"),
    [
        ("package.json", True, True),
        ("secret.env", True, False),
        ("logs", True, False),
        ("logs/x.log", True, False),
        ("build", True, True),
        ("build/out.o", True, False),
        ("build/keep.txt", True, True),
        ("nope", False, False),
        (".", True, True),
        ("/src/../src/index.ts", True, True),
    ],
)
def test_exists_and_sent(ctx: BuildContext, path: str, exists: bool, sent: bool) -> None:
    assert ctx.exists(path) is exists
    assert ctx.is_sent(path) is sent


def test_listing(ctx: BuildContext) -> None:
    files = ctx.files()
    assert "src/util/a.ts" in files and "build/keep.txt" in files
    assert "logs/x.log" not in files and "secret.env" not in files and "build/out.o" not in files
    assert ctx.complete
    assert "build" in ctx.directories() and "logs" not in ctx.directories()


def test_walk_cap_marks_listing_incomplete(tmp_path: Path) -> None:
    write(tmp_path, {f"d{i}/f{j}": "" for i in range(5) for j in range(5)})
    small = BuildContext(tmp_path, max_entries=10)
    assert not small.complete
    assert len(small.entries()) <= 10
    assert small.is_sent("d4/f4")  # single paths do not need the walk
    assert BuildContext(tmp_path).complete


def test_excluded_directory_is_pruned_without_exceptions(tmp_path: Path) -> None:
    write(tmp_path, {".dockerignore": "node_modules\n", **{f"node_modules/p{i}/x": "" for i in range(50)}})
    ctx = BuildContext(tmp_path, max_entries=20)
    assert ctx.complete  # the excluded tree was never walked


def test_symlinks_are_entries_not_followed(tmp_path: Path) -> None:
    write(tmp_path, {"real/file": ""})
    (tmp_path / "link").symlink_to(tmp_path / "real")
    ctx = BuildContext(tmp_path)
    assert ctx.entries()["link"] is False
    assert "link/file" not in ctx.entries()


def test_dockerfile_specific_ignore_applies(tmp_path: Path) -> None:
    write(
        tmp_path,
        {".dockerignore": "a\n", "ci/Dockerfile": "", "ci/Dockerfile.dockerignore": "b\n", "a": "", "b": ""},
    )
    ctx = BuildContext(tmp_path, tmp_path / "ci/Dockerfile")
    assert ctx.is_sent("a") and not ctx.is_sent("b")


@pytest.mark.parametrize(
    ("source", "want"), [("/", "."), ("", "."), ("./a/", "a"), ("../../x", "x"), ("a//b", "a/b")]
)
def test_normalize_source(source: str, want: str) -> None:
    assert normalize_source(source) == want


def test_host_paths_resolve_as_path_resolve_does(tmp_path):
    """``inside`` resolves a file through its folder's memoised resolution; the answer is always
    ``Path.resolve``'s: plain files, missing files, symlinked files and folders, ``..``."""
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (real / "Dockerfile").write_text("FROM a\n")
    (real / "sub" / "file").write_text("")
    (tmp_path / "elsewhere").write_text("")
    (real / "link-out").symlink_to(tmp_path / "elsewhere")
    (real / "link-in").symlink_to(real / "sub" / "file")
    (real / "dirlink").symlink_to(real / "sub")
    (real / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "ctx").symlink_to(real)  # the context itself reached through a symlink
    for root in (real, tmp_path / "ctx"):
        context = BuildContext(root)
        names = ["Dockerfile", "missing", "link-out", "link-in", "dirlink", "dangling", "sub", "sub/file"]
        names += ["..", ".", "Dockerfile/below-a-file"]
        names += ["dirlink/file", "sub/../Dockerfile"]
        for name in names:
            path = root / name
            expected_target = path.resolve()
            expected_root = root.resolve()
            expected = (
                expected_target.relative_to(expected_root).as_posix()
                if expected_target.is_relative_to(expected_root)
                else None
            )
            assert context.inside(path) == expected, name
            assert context._resolved(path) == expected_target, name  # again: from the memo
            if name not in ("..", "sub/../Dockerfile"):  # context-relative names only
                assert context.exists(name) == os.path.lexists(path), name
                assert context.is_dir(name) == (path.is_dir() and not path.is_symlink()), name
                text = path.read_text() if path.is_file() else None
                assert context.read_text(name) == text, name
