"""``rm`` recognition and which paths a removal covers."""

from __future__ import annotations

import pytest

from optimizer.shell import parse_script, removal, removals


def _one(line: str):
    (found,) = removals(parse_script(line))
    return found


@pytest.mark.parametrize(
    ("line", "recursive", "force", "paths"),
    [
        pytest.param("rm -rf /var/lib/apt/lists/*", True, True, ["/var/lib/apt/lists/*"], id="rf"),
        pytest.param("rm -fr /tmp/a /tmp/b", True, True, ["/tmp/a", "/tmp/b"], id="fr"),
        pytest.param("rm -r -f /x", True, True, ["/x"], id="separate-flags"),
        pytest.param("rm --recursive --force /x", True, True, ["/x"], id="long-flags"),
        pytest.param("rm -Rfv /x", True, True, ["/x"], id="capital-r-verbose"),
        pytest.param("rm -f /x", False, True, ["/x"], id="force-only"),
        pytest.param("rm /x", False, False, ["/x"], id="plain"),
        pytest.param(
            'rm -rf "$GNUPGHOME" /root/.gnupg', True, True, [None, "/root/.gnupg"], id="dynamic-path"
        ),
        pytest.param("rm -rf -- -weird", True, True, ["-weird"], id="double-dash"),
        pytest.param("sudo rm -rf /root/.cache", True, True, ["/root/.cache"], id="sudo"),
        pytest.param("rm -rf ~/.cache/pip", True, True, ["~/.cache/pip"], id="tilde"),
        pytest.param("/bin/rm -rf /tmp/*", True, True, ["/tmp/*"], id="absolute-rm"),
    ],
)
def test_removal(line, recursive, force, paths):
    found = _one(line)
    assert found.recursive is recursive
    assert found.force is force
    assert [w.value for w in found.paths] == paths


def test_paths_kept_as_written():
    found = _one("rm -rf '/var/cache/apt/archives'/*.deb /tmp/*")
    assert [w.text for w in found.paths] == ["'/var/cache/apt/archives'/*.deb", "/tmp/*"]
    assert [w.pattern for w in found.paths] == [True, True]


@pytest.mark.parametrize(
    ("line", "path", "expected"),
    [
        pytest.param("rm -rf /var/lib/apt/lists/*", "/var/lib/apt/lists/partial", True, id="glob-child"),
        pytest.param("rm -rf /var/lib/apt/lists/*", "/var/lib/apt/lists/partial/x", True, id="under-glob"),
        pytest.param("rm -rf /var/lib/apt/lists/*", "/var/lib/apt", False, id="parent"),
        pytest.param("rm -rf /root/.cache", "/root/.cache/pip/http", True, id="under-dir"),
        pytest.param("rm -f /root/.cache", "/root/.cache/pip", False, id="not-recursive"),
        pytest.param("rm -f /tmp/*.tgz", "/tmp/a.tgz", True, id="file-glob"),
        pytest.param("rm -f /tmp/*.tgz", "/tmp/x/a.tgz", False, id="glob-stays-in-component"),
        pytest.param('rm -rf "$DIR"', "/anything", False, id="dynamic-never-matches"),
        pytest.param("rm -rf /tmp/", "/tmp/x", True, id="trailing-slash"),
    ],
)
def test_removes(line, path, expected):
    assert _one(line).removes(path) is expected


def test_not_rm():
    script = parse_script("rmdir /x && echo rm -rf / && apt-get remove x")
    assert removals(script) == []
    assert removal(script.commands[0]) is None
