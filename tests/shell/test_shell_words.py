"""Words: quotes removed where the value is static, None where the shell computes it."""

from __future__ import annotations

import pytest

from optimizer.shell import parse_script


def _args(text: str):
    return parse_script(text).commands[0].args


@pytest.mark.parametrize(
    ("word", "value", "pattern"),
    [
        pytest.param("plain", "plain", False, id="plain"),
        pytest.param("'single quoted'", "single quoted", False, id="single-quotes"),
        pytest.param('"double quoted"', "double quoted", False, id="double-quotes"),
        pytest.param('"a\\"b\\$c\\\\d\\e"', 'a"b$c\\d\\e', False, id="double-quote-escapes"),
        pytest.param("a\\ b", "a b", False, id="escaped-space"),
        pytest.param("$'a\\tb\\x41'", "a\tbA", False, id="ansi-c"),
        pytest.param("$'\\U0001F600'", "\U0001f600", False, id="ansi-c-astral"),
        pytest.param("$'\\UFFFFFFFF'", "\ufffd", False, id="ansi-c-beyond-int"),
        pytest.param("$'\\U110000'", "\ufffd", False, id="ansi-c-beyond-unicode"),
        pytest.param("$'\\uD800'", "\ufffd", False, id="ansi-c-surrogate"),
        pytest.param("$'a\\x\\u\\Uz'", "a\\x\\u\\Uz", False, id="ansi-c-escape-without-digits"),
        pytest.param("$'\\cA'", "\x01", False, id="ansi-c-control"),
        pytest.param("$'a\\c'", "a\\c", False, id="ansi-c-bare-control"),
        pytest.param("$'\\c\\\\x'", "\x1cx", False, id="ansi-c-control-backslash"),
        pytest.param("--opt='x y'", "--opt=x y", False, id="concatenation"),
        pytest.param("pre\"mid\"'post'", "premidpost", False, id="mixed-quotes"),
        pytest.param("/var/lib/apt/lists/*", "/var/lib/apt/lists/*", True, id="glob"),
        pytest.param("'/var/lib/apt/lists/*'", "/var/lib/apt/lists/*", False, id="quoted-glob-is-literal"),
        pytest.param("file?.txt", "file?.txt", True, id="question-glob"),
        pytest.param("a[bc]", "a[bc]", True, id="bracket-glob"),
        pytest.param("~/.cache", "~/.cache", True, id="tilde"),
        pytest.param("{a,b}.txt", "{a,b}.txt", True, id="brace-list"),
        pytest.param("x{1..3}", "x{1..3}", True, id="brace-range"),
        pytest.param("42", "42", False, id="number"),
        pytest.param("$HOME", None, False, id="simple-expansion"),
        pytest.param('"${VERSION}"', None, False, id="braced-expansion"),
        pytest.param("pkg=$(cat v)", None, False, id="command-substitution"),
        pytest.param("$((1+2))", None, False, id="arithmetic"),
        pytest.param('"$@"', None, False, id="special-variable"),
    ],
)
def test_word_value(word, value, pattern):
    (arg,) = _args(f"echo {word}")
    assert arg.text == word
    assert arg.value == value
    assert arg.dynamic is (value is None)
    assert arg.pattern is pattern


def test_command_name_quoted():
    command = parse_script("'apt-get' \"install\" -y").commands[0]
    assert command.name == "apt-get"
    assert command.argv == ["apt-get", "install", "-y"]


def test_assignments_before_command():
    command = parse_script("DEBIAN_FRONTEND=noninteractive PATH+=:/x apt-get update").commands[0]
    assert [(a.name, a.value.value, a.append) for a in command.assignments] == [
        ("DEBIAN_FRONTEND", "noninteractive", False),
        ("PATH", ":/x", True),
    ]
    assert command.name == "apt-get"
    assert command.state is None


def test_empty_assignment():
    command = parse_script("X= make").commands[0]
    assert command.assignments[0].name == "X"
    assert command.assignments[0].value is None


def test_declaration_words():
    command = parse_script('export A=1 B="two words" C').commands[0]
    assert command.argv == ["export", "A=1", "B=two words", "C"]
