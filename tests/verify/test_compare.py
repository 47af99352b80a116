"""Judging two snapshots: every difference is volatile, allowed by a named rule, or unexplained."""

from __future__ import annotations

import json

import pytest

from optimizer.verify.compare import VOLATILE_PATTERNS, compare_snapshots
from optimizer.verify.describe import comparison_to_dict, render_comparison

from .imagefactory import directory, file, hardlink, image_config, layer, symlink

BASE = layer(
    directory("/etc"),
    file("/etc/os-release", "debian 12"),
    directory("/usr"),
    directory("/usr/bin"),
    file("/usr/bin/tool", b"\x7fELF", 0o755),
    directory("/opt"),
    directory("/var/log"),
    directory("/var/cache/ldconfig"),
    directory("/var/lib/dpkg"),
    directory("/usr/lib/python3/x"),
)


def changes(comparison):
    return [(d.path, d.change, d.attributes) for d in comparison.unexplained]


def test_identical_images_are_equivalent(make_snapshot):
    result = compare_snapshots(make_snapshot(BASE), make_snapshot(BASE))
    assert result.equivalent
    assert (result.unexplained, result.config_differences, result.allowed, result.volatile) == (
        [],
        [],
        {},
        [],
    )


def test_layer_structure_does_not_matter_only_the_final_filesystem(make_snapshot):
    two_steps = make_snapshot(
        BASE, layer(file("/a", "1")), layer(file("/b", "2")), config=image_config(layers=3, empty_steps=2)
    )
    merged = make_snapshot(BASE, layer(file("/a", "1"), file("/b", "2")), config=image_config(layers=2))
    result = compare_snapshots(two_steps, merged)
    assert result.equivalent
    assert (result.before.layer_count, result.after.layer_count) == (3, 2)
    assert (result.before.history_count, result.after.history_count) == (5, 3)


def test_added_removed_and_changed_paths_with_their_attributes(make_snapshot):
    before = make_snapshot(
        BASE,
        layer(
            file("/app/config", "a=1"),
            file("/app/old", "x"),
            file("/app/script", "echo", 0o644),
            symlink("/app/current", "v1"),
            file("/app/owned", "o", uid=0),
        ),
    )
    after = make_snapshot(
        BASE,
        layer(
            file("/app/config", "a=22"),
            file("/app/new", "y"),
            file("/app/script", "echo", 0o755),
            symlink("/app/current", "v2"),
            file("/app/owned", "o", uid=1000, gid=1000),
        ),
    )
    result = compare_snapshots(before, after)
    assert not result.equivalent
    assert changes(result) == [
        ("/app/config", "changed", ("size", "sha256")),
        ("/app/current", "changed", ("link_target",)),
        ("/app/new", "added", ()),
        ("/app/old", "removed", ()),
        ("/app/owned", "changed", ("uid", "gid")),
        ("/app/script", "changed", ("mode",)),
    ]
    described = [d.describe() for d in result.unexplained]
    assert "~ /app/script: mode 0644 -> 0755" in described
    assert "~ /app/config: size 3 -> 4, content" in described
    assert "+ /app/new (file, 1 B)" in described


def test_whiteouts_and_opaque_dirs_compare_by_their_result(make_snapshot):
    from .imagefactory import opaque, whiteout

    removed_later = make_snapshot(
        BASE, layer(directory("/cache"), file("/cache/blob", "b")), layer(whiteout("/cache"))
    )
    never_made = make_snapshot(BASE, layer(directory("/cache"), opaque("/cache")))
    result = compare_snapshots(removed_later, never_made)
    assert changes(result) == [("/cache", "added", ())]


def test_hardlink_versus_copy_is_reported(make_snapshot):
    linked = make_snapshot(
        BASE, layer(file("/usr/bin/gzip", "gz", 0o755), hardlink("/usr/bin/gunzip", "/usr/bin/gzip"))
    )
    copied = make_snapshot(
        BASE, layer(file("/usr/bin/gzip", "gz", 0o755), file("/usr/bin/gunzip", "gz", 0o755))
    )
    assert changes(compare_snapshots(linked, copied)) == [
        ("/usr/bin/gunzip", "changed", ("kind", "hardlink_to"))
    ]


def test_declared_paths_are_attributed_to_their_rule(make_snapshot):
    lists = layer(
        directory("/var"),
        directory("/var/lib"),
        directory("/var/lib/apt"),
        directory("/var/lib/apt/lists"),
        directory("/var/lib/apt/lists/partial"),
        file("/var/lib/apt/lists/deb_main_Packages.lz4", "pkgs"),
        file("/var/lib/apt/lists/partial/.lock", ""),
        file("/var/lib/apt/listsX", "not a list"),
    )
    cleaned = layer(
        directory("/var"), directory("/var/lib"), directory("/var/lib/apt"), directory("/var/lib/apt/lists")
    )
    result = compare_snapshots(
        make_snapshot(BASE, lists),
        make_snapshot(BASE, cleaned),
        allowed_paths={"DO205": ["/var/lib/apt/lists/*"]},
        changed_by={"DO205": "apt-get cleanup", "DO301": "merge RUN chains"},
    )
    assert sorted(d.path for d in result.allowed["DO205"]) == [
        "/var/lib/apt/lists/deb_main_Packages.lz4",
        "/var/lib/apt/lists/partial",
        "/var/lib/apt/lists/partial/.lock",
    ]
    assert all(d.explained_by == "DO205" for d in result.allowed["DO205"])
    # A sibling that merely shares the prefix is not covered.
    assert changes(result) == [("/var/lib/apt/listsX", "removed", ())]
    assert result.unexplained_note == "difference not declared by any applied rule (applied: DO205, DO301)"
    assert "unexplained: 1 path(s), difference not declared by any applied rule" in render_comparison(result)


def test_a_pattern_ending_in_a_wildcard_covers_a_directory_never_created(make_snapshot):
    with_cache = make_snapshot(
        BASE,
        layer(
            directory("/root"),
            directory("/root/.cache"),
            directory("/root/.cache/pip"),
            directory("/root/.cache/pip/http"),
            file("/root/.cache/pip/http/a/b/blob", "wheel"),
        ),
    )
    without = make_snapshot(BASE, layer(directory("/root")))
    result = compare_snapshots(with_cache, without, allowed_paths={"DO210": ["/root/.cache/pip/**"]})
    # /root/.cache held nothing but the pip cache, so its absence is the same change.
    assert result.equivalent
    assert "/root/.cache" in {d.path for d in result.allowed["DO210"]}


def test_a_parent_holding_anything_else_stays_unexplained(make_snapshot):
    with_cache = make_snapshot(
        BASE,
        layer(
            directory("/root"),
            directory("/root/.cache"),
            directory("/root/.cache/pip"),
            file("/root/.cache/pip/blob", "w"),
            file("/root/.cache/other-tool", "state"),
        ),
    )
    without = make_snapshot(BASE, layer(directory("/root")))
    result = compare_snapshots(with_cache, without, allowed_paths={"DO210": ["/root/.cache/pip/**"]})
    assert [p for p, *_ in changes(result)] == ["/root/.cache", "/root/.cache/other-tool"]


def test_an_empty_directory_removed_is_not_explained_by_a_rule(make_snapshot):
    result = compare_snapshots(
        make_snapshot(BASE, layer(directory("/root/.cache"))),
        make_snapshot(BASE, layer(directory("/root"))),
        allowed_paths={"DO210": ["/root/.cache/pip/**"]},
    )
    assert [p for p, *_ in changes(result)] == ["/root/.cache"]


def test_volatile_files_are_ignored_within_their_scope(make_snapshot):
    before = make_snapshot(
        BASE,
        layer(
            file("/usr/lib/python3/x/__pycache__/m.cpython-311.pyc", "ts1"),
            file("/var/cache/ldconfig/aux-cache", "inodes-1", 0o600),
            file("/var/log/dpkg.log", "2024-01-01 install"),
            file("/var/lib/dpkg/status-old", "old"),
            file("/etc/ld.so.cache", "libs-1"),
        ),
    )
    after = make_snapshot(
        BASE,
        layer(
            file("/var/cache/ldconfig/aux-cache", "inodes-22", 0o644),  # mode change is NOT volatile
            file("/var/log/dpkg.log", "2024-01-02 install"),
            file("/var/log/apt/new.log", "only here"),  # presence under a content-scoped pattern is reported
            file("/etc/ld.so.cache", "libs-2"),  # deliberately not volatile
        ),
    )
    result = compare_snapshots(before, after)
    assert sorted(d.path for d in result.volatile) == [
        "/usr/lib/python3/x/__pycache__",
        "/usr/lib/python3/x/__pycache__/m.cpython-311.pyc",
        "/var/lib/dpkg/status-old",
        "/var/log/dpkg.log",
    ]
    assert changes(result) == [
        ("/etc/ld.so.cache", "changed", ("sha256",)),
        ("/var/cache/ldconfig/aux-cache", "changed", ("mode", "size", "sha256")),
        ("/var/log/apt", "added", ()),
        ("/var/log/apt/new.log", "added", ()),
    ]


def test_npm_cache_index_timestamps_are_volatile_but_its_content_is_not(make_snapshot):
    index = "/root/.npm/_cacache/index-v5/00/60/6a22"
    blob = "/root/.npm/_cacache/content-v2/sha512/ab/cd/ef"
    before = make_snapshot(BASE, layer(file(index, '{"time":1700000000001}'), file(blob, "tarball-1")))
    after = make_snapshot(BASE, layer(file(index, '{"time":1700000000002}'), file(blob, "tarball-2")))
    result = compare_snapshots(before, after)
    assert [d.path for d in result.volatile] == [index]
    assert [d.path for d in result.unexplained] == [blob]


def test_every_volatile_pattern_says_why():
    for item in VOLATILE_PATTERNS:
        assert item.scope in ("content", "presence") and len(item.reason) > 20, item
        assert item.pattern.startswith(("/", "**/"))


def test_config_differences_are_reported_per_field_and_key(make_snapshot):
    before = image_config(
        env=["PATH=/bin", "A=1", "B=2"],
        cmd=["app"],
        WorkingDir="",
        Labels={"v": "1"},
        ExposedPorts={"80/tcp": {}},
        Healthcheck={"Test": ["CMD", "ok"]},
    )
    after = image_config(
        env=["B=2", "PATH=/bin", "A=3", "C=4"],
        cmd=["app", "--fast"],
        WorkingDir="/",
        Labels={"v": "2"},
        ExposedPorts={"80/tcp": {}, "443/tcp": {}},
    )
    result = compare_snapshots(make_snapshot(BASE, config=before), make_snapshot(BASE, config=after))
    assert not result.equivalent and result.unexplained == []
    found = {(d.field, d.key): (d.before, d.after) for d in result.config_differences}
    assert found == {
        ("Env", "A"): ("1", "3"),
        ("Env", "C"): (None, "4"),
        ("Labels", "v"): ("1", "2"),
        ("ExposedPorts", "443/tcp"): (None, True),
        ("Cmd", None): (("app",), ("app", "--fast")),
        ("Healthcheck", None): ({"Test": ["CMD", "ok"]}, None),
    }  # Env order and WorkingDir "" vs "/" are not differences


def test_report_forms(make_snapshot):
    before = make_snapshot(
        BASE,
        layer(
            directory("/var/lib/apt/lists"),
            *(file(f"/var/lib/apt/lists/f{i}", "x" * i) for i in range(30)),
            file("/surprise", "!"),
        ),
    )
    after = make_snapshot(BASE, layer(directory("/var/lib/apt/lists")), config=image_config(User="app"))
    result = compare_snapshots(
        before, after, allowed_paths={"DO205": ["/var/lib/apt/lists/*"]}, changed_by={"DO205": "apt cleanup"}
    )
    text = render_comparison(result, limit=5)
    assert text.splitlines()[0] == "equivalent: NO (applied: DO205)"
    assert "allowed by DO205 (apt cleanup): 30 path(s)" in text
    assert "  ... 25 more" in text
    assert "  - /surprise (file, 1 B)" in text
    assert "  ~ User: '' -> 'app'" in text
    document = json.loads(json.dumps(comparison_to_dict(result)))
    assert document["equivalent"] is False
    assert [d["path"] for d in document["unexplained"]] == ["/surprise"]
    assert len(document["allowed"]["DO205"]) == 30
    assert document["config_differences"] == [{"field": "User", "key": None, "before": "", "after": "app"}]


def test_removed_subtrees_collapse_in_the_text_report(make_snapshot):
    before = make_snapshot(
        BASE,
        layer(
            directory("/opt/tool"),
            directory("/opt/tool/lib"),
            file("/opt/tool/lib/a", "aaaa"),
            file("/opt/tool/b", "bb"),
            file("/opt/tool-config", "c"),
        ),
    )
    result = compare_snapshots(before, make_snapshot(BASE))
    lines = render_comparison(result).splitlines()
    assert "  - /opt/tool (dir) [3 entries below, 6 B]" in lines
    assert "  - /opt/tool-config (file, 1 B)" in lines


@pytest.mark.parametrize(
    "pattern, path, covered",
    [
        ("/var/lib/apt/lists/*", "/var/lib/apt/lists/partial/x", True),
        ("/var/lib/apt/lists/*", "/var/lib/apt/lists", True),
        ("/var/lib/apt/lists/*", "/var/lib/apt", False),
        ("/home/*/.npm/**", "/home/node/.npm/_cacache/index", True),
        ("/home/*/.npm/**", "/home/node/.npmrc", False),
        ("/usr/**/*.a", "/usr/lib/x86_64-linux-gnu/libc.a", True),
        ("/usr/**/*.a", "/usr/libc.a", True),
        ("/tmp/[!.]*", "/tmp/.X11-unix", False),
        ("/tmp/[a-c]*", "/tmp/build", True),
    ],
)
def test_declared_path_globs(make_snapshot, pattern, path, covered):
    from optimizer.verify.compare import _DeclaredPaths

    assert _DeclaredPaths([pattern]).covers(path) is covered


def test_declared_paths_must_be_absolute():
    from optimizer.verify.compare import _DeclaredPaths

    with pytest.raises(ValueError, match="must be absolute"):
        _DeclaredPaths(["var/lib/apt/lists/*"])
