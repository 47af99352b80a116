"""--exclude, --force-exclude and ``exclude = [...]`` in config: what is skipped, from where."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.core.globs import anchor, is_excluded

from .conftest import assert_one_error_line, write

BAD = "from a\n"


def _tree(root: Path) -> None:
    for rel in ("Dockerfile", "vendor/lib/Dockerfile", "legacy/Dockerfile", "app/legacy/Dockerfile"):
        write(root / rel, BAD)


def _checked(result) -> set[str]:
    return {line.split(" ")[2] for line in result.stdout.splitlines() if line.startswith("would fix ")}


def test_exclude_option_skips_matches_in_a_directory_walk(dockopt, tmp_path):
    _tree(tmp_path)
    result = dockopt("--check", "--exclude", "vendor", "--exclude=legacy/*", ".")
    assert result.code == 1
    assert _checked(result) == {"Dockerfile", "app/legacy/Dockerfile"}, "legacy/* is anchored, vendor is not"


def test_config_exclude_is_anchored_at_the_config_folder(dockopt, tmp_path):
    _tree(tmp_path)
    write(tmp_path / "dockopt.toml", 'exclude = ["/legacy", "lib"]\n')
    assert _checked(dockopt("--check", ".")) == {"Dockerfile", "app/legacy/Dockerfile"}
    from_below = dockopt("--check", ".", cwd=tmp_path / "app")
    assert _checked(from_below) == {"legacy/Dockerfile"}, "/legacy means the config folder's legacy"


def test_named_files_are_checked_unless_force_exclude(dockopt, tmp_path):
    _tree(tmp_path)
    write(tmp_path / "dockopt.toml", 'exclude = ["vendor"]\n')
    named = "vendor/lib/Dockerfile"
    assert dockopt("--check", named).code == 1, "named explicitly: checked"
    forced = dockopt("--check", "--force-exclude", named, "Dockerfile")
    assert forced.code == 1 and _checked(forced) == {"Dockerfile"}
    only_excluded = dockopt("--check", "--force-exclude", named)
    assert only_excluded.code == 0 and only_excluded.out == b"" and only_excluded.err == b""


def test_a_named_directory_is_searched_even_if_a_pattern_matches_it(dockopt, tmp_path):
    _tree(tmp_path)
    assert _checked(dockopt("--check", "--exclude", "vendor", "vendor")) == {"vendor/lib/Dockerfile"}
    assert dockopt("--check", "--exclude", "vendor", "--force-exclude", "vendor").code == 0


def test_excluded_stdin_filename_is_passed_through(dockopt, tmp_path):
    write(tmp_path / "dockopt.toml", 'exclude = ["generated"]\n')
    args = ("--force-exclude", "--stdin-filename", "generated/Dockerfile", "-")
    assert dockopt(*args, stdin=BAD.encode()).stdout == BAD
    assert dockopt(*args[1:], stdin=BAD.encode()).stdout == "FROM a\n"


@pytest.mark.parametrize(
    "content, words",
    [
        ('exclude = "vendor"\n', "'exclude' must be a list of path patterns"),
        ("exclude = [1]\n", "'exclude' must be a list of path patterns"),
        ('exclude = [""]\n', "'exclude' must be a list of path patterns"),
    ],
)
def test_bad_exclude_config_is_one_error_line(dockopt, tmp_path, content, words):
    config = write(tmp_path / "dockopt.toml", content)
    write(tmp_path / "Dockerfile", BAD)
    line = assert_one_error_line(dockopt("--check", "Dockerfile"), str(config.resolve()))
    assert words in line


@pytest.mark.parametrize(
    "pattern, path, excluded",
    [
        ("vendor", "vendor/Dockerfile", True),
        ("vendor", "a/b/vendor/c/Dockerfile", True),
        ("vendor", "vendors/Dockerfile", False),
        ("*.dev.Dockerfile", "x/app.dev.Dockerfile", True),
        ("docker/*", "docker/Dockerfile", True),
        ("docker/*", "docker/sub/Dockerfile", True),  # the folder docker/sub matches
        ("docker/*", "other/docker/Dockerfile", False),
        ("**/ci/Dockerfile", "a/b/ci/Dockerfile", True),
        ("**/ci/Dockerfile", "ci/Dockerfile", True),
        ("Dockerfile.[ab]", "Dockerfile.a", True),
        ("Dockerfile.[!ab]", "Dockerfile.a", False),
        ("Dockerfile.?", "Dockerfile.c", True),
        ("/Dockerfile", "sub/Dockerfile", False),
        ("./Dockerfile", "Dockerfile", True),
    ],
)
def test_patterns(tmp_path, pattern, path, excluded):
    assert is_excluded(tmp_path / path, [anchor(pattern, tmp_path)]) is excluded


def test_below_keeps_the_named_folder_out_of_the_match(tmp_path):
    patterns = [anchor("vendor", tmp_path)]
    assert is_excluded(tmp_path / "vendor" / "Dockerfile", patterns)
    assert not is_excluded(tmp_path / "vendor" / "Dockerfile", patterns, below=tmp_path / "vendor")
    assert is_excluded(
        tmp_path / "vendor" / "x" / "vendor" / "Dockerfile", patterns, below=tmp_path / "vendor"
    )
