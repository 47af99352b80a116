"""Go's filepath.Match and path.Clean, checked against Go's own test table (match_test.go)."""

from __future__ import annotations

import pytest

from optimizer.analysis.gomatch import BadPattern, clean, has_wildcards, match

BAD = "bad"

# golang/go src/path/filepath/match_test.go: matchTests (pattern, name, want).
GO_MATCH_TESTS = [
    ("abc", "abc", True),
    ("*", "abc", True),
    ("*c", "abc", True),
    ("a*", "a", True),
    ("a*", "abc", True),
    ("a*", "ab/c", False),
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
    ("[]a]", "]", BAD),
    ("[-]", "-", BAD),
    ("[x-]", "x", BAD),
    ("[x-]", "-", BAD),
    ("[x-]", "z", BAD),
    ("[-x]", "x", BAD),
    ("[-x]", "-", BAD),
    ("[-x]", "a", BAD),
    ("\\", "a", BAD),
    ("[a-b-c]", "a", BAD),
    ("[", "a", BAD),
    ("[^", "a", BAD),
    ("[^bc", "a", BAD),
    ("a[", "a", BAD),
    ("a[", "ab", BAD),
    ("a[", "x", BAD),
    ("a/b[", "x", BAD),
    ("*x", "xxx", True),
]


@pytest.mark.parametrize(("pattern", "name", "want"), GO_MATCH_TESTS)
def test_match_go_table(pattern: str, name: str, want: object) -> None:
    if want == BAD:
        with pytest.raises(BadPattern):
            match(pattern, name)
    else:
        assert match(pattern, name) is want


@pytest.mark.parametrize(
    ("path", "want"),
    [
        ("", "."),
        (".", "."),
        ("/", "/"),
        ("//a//b/", "/a/b"),
        ("a/./b", "a/b"),
        ("a/../b", "b"),
        ("../a", "../a"),
        ("/../a", "/a"),
        ("a/b/../../..", ".."),
        ("./", "."),
        ("abc/def/", "abc/def"),
    ],
)
def test_clean_like_go(path: str, want: str) -> None:
    assert clean(path) == want


@pytest.mark.parametrize(
    ("name", "want"),
    [("a", False), ("*.json", True), ("a?", True), ("[ab]", True), ("a\\*", False), ("a\\**", True)],
)
def test_has_wildcards_like_buildkit(name: str, want: bool) -> None:
    assert has_wildcards(name) is want
