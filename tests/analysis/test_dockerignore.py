""".dockerignore semantics, ported from moby/patternmatcher's tests and Docker's documentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.analysis.dockerignore import (
    IgnoreFileError,
    IgnoreMatcher,
    IgnorePattern,
    load_ignore,
    read_patterns,
)

FAIL, EXACT, INEXACT = "fail", "exact", "inexact"

# patternmatcher_test.go TestMatches: (pattern, path, pass). EXACT: the pattern matches the path
# itself; INEXACT: only through a parent directory; FAIL: excluded by neither.
PATTERNMATCHER_MATCHES = [
    ("**", "file", EXACT),
    ("**", "file/", EXACT),
    ("**/", "file", EXACT),
    ("**/", "file/", EXACT),
    ("**", "/", EXACT),
    ("**/", "/", EXACT),
    ("**", "dir/file", EXACT),
    ("**/", "dir/file", EXACT),
    ("**", "dir/file/", EXACT),
    ("**/", "dir/file/", EXACT),
    ("**/**", "dir/file", EXACT),
    ("**/**", "dir/file/", EXACT),
    ("dir/**", "dir/file", EXACT),
    ("dir/**", "dir/file/", EXACT),
    ("dir/**", "dir/dir2/file", EXACT),
    ("dir/**", "dir/dir2/file/", EXACT),
    ("**/dir", "dir", EXACT),
    ("**/dir", "dir/file", INEXACT),
    ("**/dir2/*", "dir/dir2/file", EXACT),
    ("**/dir2/*", "dir/dir2/file/", INEXACT),
    ("**/dir2/**", "dir/dir2/dir3/file", EXACT),
    ("**/dir2/**", "dir/dir2/dir3/file/", EXACT),
    ("**file", "file", EXACT),
    ("**file", "dir/file", EXACT),
    ("**/file", "dir/file", EXACT),
    ("**file", "dir/dir/file", EXACT),
    ("**/file", "dir/dir/file", EXACT),
    ("**/file*", "dir/dir/file", EXACT),
    ("**/file*", "dir/dir/file.txt", EXACT),
    ("**/file*txt", "dir/dir/file.txt", EXACT),
    ("**/file*.txt", "dir/dir/file.txt", EXACT),
    ("**/file*.txt*", "dir/dir/file.txt", EXACT),
    ("**/**/*.txt", "dir/dir/file.txt", EXACT),
    ("**/**/*.txt2", "dir/dir/file.txt", FAIL),
    ("**/*.txt", "file.txt", EXACT),
    ("**/**/*.txt", "file.txt", EXACT),
    ("a**/*.txt", "a/file.txt", EXACT),
    ("a**/*.txt", "a/dir/file.txt", EXACT),
    ("a**/*.txt", "a/dir/dir/file.txt", EXACT),
    ("a/*.txt", "a/dir/file.txt", FAIL),
    ("a/*.txt", "a/file.txt", EXACT),
    ("a/*.txt**", "a/file.txt", EXACT),
    ("a[b-d]e", "ae", FAIL),
    ("a[b-d]e", "ace", EXACT),
    ("a[b-d]e", "aae", FAIL),
    ("a[^b-d]e", "aze", EXACT),
    (".*", ".foo", EXACT),
    (".*", "foo", FAIL),
    ("abc.def", "abcdef", FAIL),
    ("abc.def", "abc.def", EXACT),
    ("abc.def", "abcZdef", FAIL),
    ("abc?def", "abcZdef", EXACT),
    ("abc?def", "abcdef", FAIL),
    ("**/foo/bar", "foo/bar", EXACT),
    ("**/foo/bar", "dir/foo/bar", EXACT),
    ("**/foo/bar", "dir/dir2/foo/bar", EXACT),
    ("abc/**", "abc", FAIL),
    ("abc/**", "abc/def", EXACT),
    ("abc/**", "abc/def/ghi", EXACT),
    ("**/.foo", ".foo", EXACT),
    ("**/.foo", "bar.foo", FAIL),
    ("a(b)c/def", "a(b)c/def", EXACT),
    ("a(b)c/def", "a(b)c/xyz", FAIL),
    ("a.|)$(}+{bc", "a.|)$(}+{bc", EXACT),
    (
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        EXACT,
    ),
    ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", EXACT),
    ("a\\\\", "a\\", EXACT),
    ("a\\*b", "a*b", EXACT),
]

# TestMatches multiPatternTests: later lines win, exceptions reach below an excluded directory.
PATTERNMATCHER_MULTI = [
    (["**", "!util/docker/web"], "util/docker/web/foo", False),
    (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", True),
    (
        ["**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"],
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        False,
    ),
    (["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", False),
    # The single-purpose tests at the top of patternmatcher_test.go.
    (["*"], "fileutils.go", True),
    (["*.go"], "fileutils.go", True),
    (["!fileutils.go", "*.go"], "fileutils.go", True),
    (["docs", "!docs/README.md"], "docs/README.md", False),
    (["docs/", "!docs/README.md"], "docs/README.md", False),
    (["docs/*", "!docs/README.md"], "docs/README.md", False),
    (["*.go", "!fileutils.go"], "fileutils.go", False),
    (["*.go"], ".", False),
    ([], "any/path/there", False),
]

# patternmatcher TestMatch (Go's filepath table run through Matches): the parent rule makes
# "a*" exclude "ab/c"; malformed patterns are rejected when the matcher is built.
PATTERNMATCHER_FILEPATH = [
    ("abc", "abc", True),
    ("*", "abc", True),
    ("*c", "abc", True),
    ("a*", "a", True),
    ("a*", "abc", True),
    ("a*", "ab/c", True),
    ("a*/b", "abc/b", True),
    ("a*/b", "a/c/b", False),
    ("a*b*c*d*e*/f", "axbxcxdxe/f", True),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True),
    ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False),
    ("a*b?c*x", "abxbbxdbxebxczzx", True),
    ("a*b?c*x", "abxbbxdbxebxczzy", False),
    ("ab[c]", "abc", True),
    ("ab[b-d]", "abc", True),
    ("ab[e-g]", "abc", False),
    ("ab[^c]", "abc", False),
    ("ab[^b-d]", "abc", False),
    ("ab[^e-g]", "abc", True),
    ("a\\*b", "a*b", True),
    ("a\\*b", "ab", False),
    ("a?b", "a☺b", True),
    ("a[^a]b", "a☺b", True),
    ("a???b", "a☺b", False),
    ("a[^a][^a][^a]b", "a☺b", False),
    ("[a-ζ]*", "α", True),
    ("*[a-ζ]", "A", False),
    ("a?b", "a/b", False),
    ("a*b", "a/b", False),
    ("[\\]a]", "]", True),
    ("[\\-]", "-", True),
    ("[x\\-]", "x", True),
    ("[x\\-]", "-", True),
    ("[x\\-]", "z", False),
    ("[\\-x]", "x", True),
    ("[\\-x]", "-", True),
    ("[\\-x]", "a", False),
    ("*x", "xxx", True),
]
BAD_PATTERNS = ["[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "!", "! "]

# patternmatcher TestCompile: how moby classifies a pattern (and the regexp it builds).
COMPILE_KINDS = [
    ("*", "regexp"),
    ("file*", "regexp"),
    ("*file", "regexp"),
    ("a*/b", "regexp"),
    ("**", "suffix"),
    ("**/**", "regexp"),
    ("dir/**", "prefix"),
    ("**/dir", "suffix"),
    ("**/dir2/*", "regexp"),
    ("**/dir2/**", "regexp"),
    ("**file", "suffix"),
    ("**/file*txt", "regexp"),
    ("**/**/*.txt", "regexp"),
    ("a[b-d]e", "regexp"),
    (".*", "regexp"),
    ("abc.def", "exact"),
    ("abc?def", "regexp"),
    ("**/foo/bar", "suffix"),
    ("a(b)c/def", "exact"),
    ("a.|)$(}+{bc", "exact"),
]

# Docker's documentation (build/concepts/context.md), as (ignore file, path, excluded).
DOCS_CASES = [
    ("# comment\n*/temp*\n*/*/temp*\ntemp?\n", "somedir/temporary.txt", True),
    ("# comment\n*/temp*\n*/*/temp*\ntemp?\n", "somedir/temp", True),
    ("# comment\n*/temp*\n*/*/temp*\ntemp?\n", "somedir/temp/inside.txt", True),
    ("# comment\n*/temp*\n*/*/temp*\ntemp?\n", "somedir/subdir/temporary.txt", True),
    ("# comment\n*/temp*\n*/*/temp*\ntemp?\n", "tempa", True),
    ("# comment\n*/temp*\n*/*/temp*\ntemp?\n", "tempb", True),
    ("# comment\n*/temp*\n*/*/temp*\ntemp?\n", "temp", False),
    ("# comment\n*/temp*\n*/*/temp*\ntemp?\n", "temporary.txt", False),
    ("# comment\n*/temp*\n*/*/temp*\ntemp?\n", "a/b/c/temporary.txt", False),
    ("# comment\n*/temp*\n*/*/temp*\ntemp?\n", "# comment", False),
    ("**/*.go\n", "main.go", True),
    ("**/*.go\n", "pkg/deep/x.go", True),
    ("**/*.go\n", "go.mod", False),
    ("*.md\n!README.md\n", "README.md", False),
    ("*.md\n!README.md\n", "CHANGES.md", True),
    ("*.md\n!README.md\n", "docs/guide.md", False),  # only the root: no "**"
    ("*.md\n!README*.md\nREADME-secret.md\n", "README-secret.md", True),
    ("*.md\n!README*.md\nREADME-secret.md\n", "README-public.md", False),
    ("*.md\n!README*.md\nREADME-secret.md\n", "other.md", True),
    ("*.md\nREADME-secret.md\n!README*.md\n", "README-secret.md", False),
    ("/foo/bar/\n", "foo/bar", True),
    ("/foo/bar\n", "foo/bar/baz.txt", True),
    ("foo/bar/\n", "foo/bar", True),
    ("foo/bar\n", "bar", False),
    ("foo/bar\n", "x/foo/bar", False),
    (".\n", "anything", False),  # "for historical reasons, the pattern . is ignored"
    ("*\n!src\n", "src/main.py", False),
    ("*\n!src\n", "package.json", True),
    ("node_modules\n", "node_modules/x/package.json", True),
    ("node_modules\n", "web/node_modules/x", False),  # .dockerignore is not .gitignore
    ("__pycache__/\n", "app/__pycache__/x.pyc", False),
    ("**/__pycache__\n", "app/__pycache__/x.pyc", True),
    ("  # not a comment\n", "# not a comment", True),  # only column 1 starts a comment
    ("\ufeff*.log\r\nkeep\r\n", "a.log", True),  # BOM and CRLF
    ("\ufeff*.log\r\nkeep\r\n", "keep", True),
    ("a/../b\n", "b", True),  # cleaned
    ("  spaced.txt  \n", "spaced.txt", True),
    ("! /inverted/abs\n", "inverted/abs", False),
]


def matcher(*lines: str) -> IgnoreMatcher:
    return IgnoreMatcher.from_lines(list(lines))


@pytest.mark.parametrize(("pattern", "path", "kind"), PATTERNMATCHER_MATCHES)
def test_patternmatcher_matches(pattern: str, path: str, kind: str) -> None:
    compiled = IgnorePattern.compile(pattern)
    assert compiled.match(path) is (kind == EXACT)  # MatchesExact: the raw path, not cleaned
    if path != "/":  # excludes() cleans its argument, and never excludes the context root itself
        assert matcher(pattern).excludes(path) is (kind != FAIL)  # MatchesUsingParentResults


@pytest.mark.parametrize(("patterns", "path", "excluded"), PATTERNMATCHER_MULTI)
def test_patternmatcher_multi(patterns: list[str], path: str, excluded: bool) -> None:
    assert matcher(*patterns).excludes(path) is excluded


@pytest.mark.parametrize(("pattern", "path", "excluded"), PATTERNMATCHER_FILEPATH)
def test_patternmatcher_filepath_table(pattern: str, path: str, excluded: bool) -> None:
    assert matcher(pattern).excludes(path) is excluded


@pytest.mark.parametrize("pattern", BAD_PATTERNS)
def test_malformed_patterns_are_rejected(pattern: str) -> None:
    with pytest.raises(IgnoreFileError):
        IgnoreMatcher.from_text(pattern + "\n")


def test_bad_regexp_range_is_rejected() -> None:
    # patternmatcher: "[Local-Only]/" passes filepath validation but its regexp does not compile.
    with pytest.raises(IgnoreFileError):
        IgnoreMatcher.from_text("[Local-Only]/\n")


@pytest.mark.parametrize(("pattern", "kind"), COMPILE_KINDS)
def test_compile_kind(pattern: str, kind: str) -> None:
    assert IgnorePattern.compile(pattern).kind == kind


@pytest.mark.parametrize(("text", "path", "excluded"), DOCS_CASES)
def test_docs_examples(text: str, path: str, excluded: bool) -> None:
    assert IgnoreMatcher.from_text(text).excludes(path) is excluded


def test_read_patterns_like_ignorefile_readall() -> None:
    # ignorefile_test.go TestReadAll
    content = "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! "
    assert read_patterns(content) == [
        "test1",
        "test2",
        "a/file/here",
        "lastfile",
        "!inverted/abs/path",
        "!",
        "!",
    ]


def test_exceptions_and_parent_exclusion() -> None:
    m = IgnoreMatcher.from_text("build\n!build/keep.txt\n**/*.tmp\n!**/important.tmp\n")
    assert m.excludes("build/out.o")
    assert not m.excludes("build/keep.txt")
    assert m.excludes("a/b/x.tmp")
    assert not m.excludes("a/b/important.tmp")
    assert m.exclusions


def test_paths_are_normalised() -> None:
    m = matcher("secret")
    assert (
        m.excludes("./secret")
        and m.excludes("/secret")
        and m.excludes("secret/")
        and m.excludes("x/../secret")
    )
    assert not m.excludes(".") and not m.excludes("")


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_load_context_dockerignore(tmp_path: Path) -> None:
    write(tmp_path, {".dockerignore": "*.log\n", "Dockerfile": "FROM scratch\n"})
    m = load_ignore(tmp_path)
    assert m.source == tmp_path / ".dockerignore"
    assert m.excludes("x.log") and not m.excludes("x.txt")


def test_no_ignore_file(tmp_path: Path) -> None:
    m = load_ignore(tmp_path)
    assert m.source is None and not m.patterns and not m.excludes("anything")


def test_dockerfile_specific_ignore_takes_precedence(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".dockerignore": "*.log\n",
            "docker/build.Dockerfile": "FROM scratch\n",
            "docker/build.Dockerfile.dockerignore": "*.txt\n",
            "docker/lint.Dockerfile": "FROM scratch\n",
        },
    )
    build = load_ignore(tmp_path, tmp_path / "docker/build.Dockerfile")
    assert build.source == tmp_path / "docker/build.Dockerfile.dockerignore"
    assert build.excludes("a.txt") and not build.excludes("a.log")  # not merged with .dockerignore
    lint = load_ignore(tmp_path, tmp_path / "docker/lint.Dockerfile")
    assert lint.source == tmp_path / ".dockerignore"
    assert lint.excludes("a.log")


def test_default_dockerfile_specific_ignore(tmp_path: Path) -> None:
    write(
        tmp_path, {".dockerignore": "a\n", "Dockerfile": "FROM scratch\n", "Dockerfile.dockerignore": "b\n"}
    )
    m = load_ignore(tmp_path)
    assert m.excludes("b") and not m.excludes("a")


def test_dockerfile_and_ignore_file_can_be_excluded_but_are_read(tmp_path: Path) -> None:
    # Docker docs: they are still sent to the builder, but COPY/ADD cannot use them.
    write(tmp_path, {".dockerignore": "Dockerfile\n.dockerignore\n*.md\n", "Dockerfile": "FROM scratch\n"})
    m = load_ignore(tmp_path, tmp_path / "Dockerfile")
    assert m.excludes("Dockerfile") and m.excludes(".dockerignore")
    assert m.read_by_builder("Dockerfile") and m.read_by_builder(".dockerignore")
    assert not m.read_by_builder("README.md")
