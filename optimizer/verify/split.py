"""Verify a rewrite that changes the final image on purpose (a builder stage plus a runtime twin).

Equality of the final filesystem is replaced by four checks, each of which must pass:

1. **config**: what the Dockerfile controls is equal — Entrypoint, Cmd, WorkingDir, User,
   ExposedPorts, Volumes, Healthcheck, StopSignal, the labels it sets, Shell when it sets one, and
   the values of the ENV names it sets (not the base image's own ENV such as GOLANG_VERSION);
2. **closure**: the runtime closure of the original (``closure.py``) is present in the rewrite and
   byte-identical, and the passwd/group entries of USER are the same lines;
3. **drops**: every path only the original has is explained — owned by a Debian package the
   rewrite no longer has (dpkg's file lists of the original), part of a toolchain, a cache, declared
   by an applied rule, or part of the original's base image but not the twin's base image;
4. **behaviour**: both images run the same way (``behaviour.py``).

A path that both images have but that differs outside the closure (dpkg's status, ld.so.cache) is
shown, not judged: the closure check is what protects the program.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .behaviour import Behaviour, BehaviourDifference, compare_behaviour, summary
from .closure import (
    Closure,
    ImageFiles,
    lines_of,
    resolve,
    runtime_closure,
    user_entries,
)
from .compare import (
    VOLATILE_PATTERNS,
    ConfigDifference,
    PathDifference,
    _DeclaredPaths,
    _glob,
    _volatile_match,
)
from .snapshot import Entry, Snapshot

TOOLCHAINS = (
    "/usr/local/go/**",
    "/usr/lib/go/**",
    "/usr/lib/go-*/**",
    "/usr/share/go/**",
    "/usr/share/go-*/**",
    "/go/**",
    "/usr/local/cargo/**",
    "/usr/local/rustup/**",
    "/opt/java/openjdk/jmods/**",
    "/opt/java/openjdk/include/**",
    "/opt/java/openjdk/lib/src.zip",
    "/usr/include/**",
    "/usr/local/include/**",
    "/usr/lib/gcc/**",
    "/usr/libexec/gcc/**",
    "/usr/share/doc/**",
    "/usr/share/man/**",
    "/usr/share/info/**",
    "/usr/share/lintian/**",
    "/usr/share/gcc/**",
    "/usr/share/perl/**",
    "/usr/share/perl5/**",
    "/usr/lib/x86_64-linux-gnu/perl/**",
    "/usr/lib/x86_64-linux-gnu/perl5/**",
    "/usr/share/pkgconfig/**",
    "/usr/lib/x86_64-linux-gnu/pkgconfig/**",
    "/usr/lib/pkgconfig/**",
    "/usr/local/lib/pkgconfig/**",
)
CACHES = (
    "/root/.cache/**",
    "/home/*/.cache/**",
    "/root/go/**",
    "/home/*/go/pkg/**",
    "/root/.m2/**",
    "/home/*/.m2/**",
    "/root/.gradle/**",
    "/root/.npm/**",
    "/home/*/.npm/**",
    "/root/.cargo/registry/**",
    "/usr/local/share/.cache/**",
    "/var/cache/apt/**",
    "/var/lib/apt/lists/**",
    "/var/cache/debconf/**",
    "/tmp/**",
    "/var/tmp/**",
)
PACKAGE_BOOKKEEPING = (
    "/etc/alternatives/*",
    "/var/lib/dpkg/alternatives/*",
)
# Config fields the Dockerfile controls with one instruction each.
PLAIN_FIELDS = (
    "Entrypoint",
    "Cmd",
    "WorkingDir",
    "User",
    "ExposedPorts",
    "Volumes",
    "Healthcheck",
    "StopSignal",
)


@dataclass(frozen=True)
class DockerfileFacts:
    """What the original Dockerfile sets itself (the config a split must carry over)."""

    env_names: frozenset[str] = frozenset()
    label_names: frozenset[str] = frozenset()
    sets_shell: bool = False
    final_base: str = ""
    stage_count: int = 1
    # Where the final stage's lineage COPY/ADDs files from the build context (absolute paths):
    # a dropped path below one, outside the runtime closure, is a build input the build consumed.
    copy_destinations: tuple[str, ...] = ()


def dockerfile_facts(text: str) -> DockerfileFacts:
    """ENV/LABEL names and SHELL in the stages the final image is built from (FROM <stage> chains)."""
    from optimizer.analysis.stages import build_graph
    from optimizer.syntax import parse

    tree = parse(text)
    if not tree.stages:
        return DockerfileFacts()
    graph = build_graph(tree)
    final = tree.stages[-1]
    env: set[str] = set()
    labels: set[str] = set()
    copies: list[str] = []
    shell = False
    for index in reversed(graph.lineage(final.index)):
        workdir = "/"
        for ins in tree.stages[index].instructions:
            target = ins.sub or ins
            values = list(target.value or ()) if isinstance(target.value, (list, tuple)) else []
            if target.name == "WORKDIR" and values:
                workdir = posixpath.normpath(posixpath.join(workdir, str(values[0])))
            elif target.name in ("COPY", "ADD") and values and not target.flag_values("from"):
                dest = str(values[-1])
                if "$" not in dest:
                    copies.append(posixpath.normpath(posixpath.join(workdir, dest)))
            if target.name == "ENV":
                env.update(values[0::2])
            elif target.name == "LABEL":
                labels.update(v.strip("\"'") for v in values[0::2])
            elif target.name == "SHELL":
                shell = True
    index, base = final.index, final.base
    while (parent := graph.parents.get(index)) is not None:
        index, base = parent, tree.stages[parent].base
    return DockerfileFacts(
        frozenset(env), frozenset(labels), shell, base.strip(), len(tree.stages), tuple(sorted(set(copies)))
    )


def structure_changed(original: str, rewritten: str, applied_codes: Sequence[str] = ()) -> bool:
    """The rewrite changes the final image's base or adds stages on purpose (a split).

    Read from the two Dockerfiles; a fix by a stages rule (DO5xx) counts as well.
    """
    if any(code.startswith("DO5") for code in applied_codes):
        return True
    try:
        before, after = dockerfile_facts(original), dockerfile_facts(rewritten)
    except Exception:  # noqa: BLE001 - an unparsable text is reported elsewhere
        return False
    return before.final_base.lower() != after.final_base.lower() or after.stage_count > before.stage_count


@dataclass
class ClosureProblem:
    path: str
    why: str  # what needs it
    problem: str  # "missing", "different content", "not a file"...

    def describe(self) -> str:
        return f"{self.path}: {self.problem} (needed as {self.why})"


@dataclass
class Drop:
    path: str
    kind: str
    explained_by: str | None = None  # "package gcc-12", "toolchain", "cache", "rule DO501", "base image", ...


@dataclass
class SplitComparison:
    config_differences: list[ConfigDifference]
    closure_size: int  # paths in the runtime closure
    closure_problems: list[ClosureProblem]
    closure_notes: list[str]  # what could not be resolved in the original (not a failure by itself)
    dropped: list[Drop]
    changed_outside: list[str]  # paths in both that differ, outside the closure (shown, not judged)
    added: int  # paths only the rewrite has
    behaviour: list[BehaviourDifference]
    behaviour_notes: list[str] = field(default_factory=list)
    behaviour_ran: bool = False
    observed: tuple[Behaviour, Behaviour] | None = None  # what the original and the rewrite did

    @property
    def unexplained_drops(self) -> list[Drop]:
        return [d for d in self.dropped if d.explained_by is None]

    @property
    def equivalent(self) -> bool:
        return (
            not (self.config_differences or self.closure_problems or self.unexplained_drops or self.behaviour)
            and self.behaviour_ran
        )

    def reasons(self) -> list[str]:
        """One line per failed check, for the fix path's refusal message."""
        out = []
        if self.config_differences:
            out.append("config differs: " + ", ".join(_field_name(d) for d in self.config_differences[:5]))
        if self.closure_problems:
            out.append("runtime closure: " + "; ".join(p.describe() for p in self.closure_problems[:5]))
        drops = self.unexplained_drops
        if drops:
            out.append(f"{len(drops)} dropped path(s) not explained: " + ", ".join(d.path for d in drops[:5]))
        if self.behaviour:
            out.append("behaviour differs: " + "; ".join(b.describe() for b in self.behaviour[:5]))
        if not self.behaviour_ran:
            out.append("the images were not run (" + ("; ".join(self.behaviour_notes) or "no engine") + ")")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "equivalent": self.equivalent,
            "config_differences": [
                {"field": d.field, "key": d.key, "before": d.before, "after": d.after}
                for d in self.config_differences
            ],
            "closure_size": self.closure_size,
            "closure_problems": [p.__dict__ for p in self.closure_problems],
            "closure_notes": self.closure_notes,
            "dropped": len(self.dropped),
            "dropped_explained": _explained_counts(self.dropped),
            "unexplained_drops": [d.path for d in self.unexplained_drops],
            "changed_outside_closure": len(self.changed_outside),
            "added": self.added,
            "behaviour_ran": self.behaviour_ran,
            "behaviour": [b.__dict__ for b in self.behaviour],
            "behaviour_notes": self.behaviour_notes,
            "observed": [summary(b) for b in self.observed] if self.observed else None,
            "reasons": [] if self.equivalent else self.reasons(),
        }


def _field_name(d: ConfigDifference) -> str:
    return f"{d.field}[{d.key}]" if d.key is not None else d.field


def _explained_counts(drops: list[Drop]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for d in drops:
        if d.explained_by is not None:
            kind = d.explained_by.split(" ", 1)[0]
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def compare_split_configs(
    before: Snapshot, after: Snapshot, facts: DockerfileFacts
) -> list[ConfigDifference]:
    a, b = before.config, after.config
    diffs: list[ConfigDifference] = []

    def norm_dir(value: str) -> str:
        return posixpath.normpath(value) if value else "/"

    plain = {
        "Entrypoint": (a.entrypoint or None, b.entrypoint or None),
        "Cmd": (a.cmd or None, b.cmd or None),
        "WorkingDir": (norm_dir(a.working_dir), norm_dir(b.working_dir)),
        "User": (_user(a.user), _user(b.user)),
        "ExposedPorts": (tuple(a.exposed_ports), tuple(b.exposed_ports)),
        "Volumes": (tuple(a.volumes), tuple(b.volumes)),
        "Healthcheck": (a.healthcheck, b.healthcheck),
        "StopSignal": (a.stop_signal, b.stop_signal),
    }
    if facts.sets_shell:
        plain["Shell"] = (a.shell or None, b.shell or None)
    for name, (old, new) in plain.items():
        if old != new:
            diffs.append(ConfigDifference(name, None, old, new))
    env_a, env_b = a.env_map, b.env_map
    for key in sorted(facts.env_names):
        if env_a.get(key) != env_b.get(key):
            diffs.append(ConfigDifference("Env", key, env_a.get(key), env_b.get(key)))
    for key in sorted(facts.label_names):
        if a.labels.get(key) != b.labels.get(key):
            diffs.append(ConfigDifference("Labels", key, a.labels.get(key), b.labels.get(key)))
    return diffs


# Ways of saying "root, group root": an image that names no user runs as uid 0 with gid 0, and a
# minimal runtime base (distroless) says "0" where the original inherited "" from its base.
_ROOT = frozenset({"", "0", "root", "0:0", "root:root", "root:0", "0:root"})


def _user(value: str) -> str:
    return "0:0" if value in _ROOT else value


def check_closure(
    before: Snapshot,
    after: Snapshot,
    closure: Closure,
    after_reader: ImageFiles,
    before_reader: ImageFiles,
    allowed: _DeclaredPaths | None,
) -> list[ClosureProblem]:
    """Each closure path resolves in the rewrite to a regular file with the same content."""
    problems: list[ClosureProblem] = []
    for item in closure.items:
        if allowed is not None and allowed.covers(item.path):
            continue
        if any(_glob(v.pattern).fullmatch(item.path) for v in VOLATILE_PATTERNS):
            continue  # differs between two builds of one Dockerfile (byte-code, logs)
        link = before.files.get(item.path)
        if link is not None and link.kind == "symlink":  # the link itself (WORKDIR), then what it names
            other = after.files.get(item.path)
            if other is None or other.link_target != link.link_target:
                problem = "missing in the rewrite" if other is None else "different link target"
                problems.append(ClosureProblem(item.path, item.why, problem))
                continue
            if item.resolved is None:
                continue  # dangling in both
        source = before.files.get(item.resolved or "")
        target_path = resolve(after.files, item.path)
        target = after.files.get(target_path or "")
        if target is None:
            problems.append(ClosureProblem(item.path, item.why, "missing in the rewrite"))
            continue
        if source is None:
            continue
        if source.kind == "symlink" or target.kind == "symlink":
            if source.link_target != target.link_target:
                problems.append(ClosureProblem(item.path, item.why, "different link target"))
            continue
        if source.sha256 != target.sha256 and not _same_archive(
            before_reader.read(item.resolved or ""), after_reader.read(target_path or "")
        ):
            problems.append(ClosureProblem(item.path, item.why, "different content"))
        elif (source.mode & 0o111) != (target.mode & 0o111):
            problems.append(
                ClosureProblem(item.path, item.why, f"mode {source.mode:04o} -> {target.mode:04o}")
            )
    user = before.config.user
    passwd_a, group_a = user_entries(
        user, before_reader.read("/etc/passwd"), before_reader.read("/etc/group")
    )
    passwd_b, group_b = lines_of(after_reader.read("/etc/passwd")), lines_of(after_reader.read("/etc/group"))
    started_as = {_as_started(line) for line in passwd_b}
    for line in passwd_a:
        if _as_started(line) not in started_as:
            problems.append(
                ClosureProblem("/etc/passwd", f"the entry of USER {user or 'root'}", f"no line {line!r}")
            )
    for line in group_a:
        if line not in group_b:
            problems.append(
                ClosureProblem("/etc/group", f"the group of USER {user or 'root'}", f"no line {line!r}")
            )
    if user and not passwd_a and not user.split(":")[0].isdigit():
        problems.append(ClosureProblem("/etc/passwd", f"USER {user}", "the original has no such user either"))
    return problems


def _as_started(passwd_line: str) -> tuple[str, ...]:
    """What starting the container reads of a passwd entry: name, uid, gid and home (Docker sets
    HOME from it). The login shell and the GECOS field are not read to run the command, and a
    minimal runtime base spells root's differently (distroless: ``/sbin/nologin``)."""
    parts = passwd_line.split(":")
    return tuple(parts[i] if len(parts) > i else "" for i in (0, 2, 3, 5))


def _same_archive(a: bytes | None, b: bytes | None) -> bool:
    """Two zip archives (a jar, a wheel) with the same entries, each with the same CRC and size.

    A jar built twice from the same classes differs only in its entries' timestamps, so the two
    builds (the original's and the rewrite's build stage) never give the same bytes; what the JVM
    reads is the entries.
    """
    if not a or not b or not a.startswith(b"PK\x03\x04") or not b.startswith(b"PK\x03\x04"):
        return False
    import io
    import zipfile

    def entries(data: bytes) -> list[tuple[str, int, int]] | None:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return sorted((i.filename, i.CRC, i.file_size) for i in archive.infolist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None

    first = entries(a)
    return first is not None and first == entries(b)


def dpkg_owners(reader: ImageFiles, packages: set[str]) -> dict[str, str]:
    """path -> package, for the given packages, from the image's dpkg file lists."""
    owners: dict[str, str] = {}
    if not packages:
        return owners
    for path, data in reader.tree("/var/lib/dpkg/info").items():
        name = posixpath.basename(path)
        if not name.endswith(".list"):
            continue
        package = name[: -len(".list")].split(":", 1)[0]
        if package not in packages:
            continue
        for line in data.decode(errors="replace").splitlines():
            if line.startswith("/") and line != "/.":
                owners.setdefault(posixpath.normpath(line), package)
    return owners


def installed_packages(files: Mapping[str, Entry]) -> set[str]:
    prefix = "/var/lib/dpkg/info/"
    return {
        posixpath.basename(p)[: -len(".list")].split(":", 1)[0]
        for p in files
        if p.startswith(prefix) and p.endswith(".list")
    }


def explain_drops(
    before: Snapshot,
    after: Snapshot,
    before_reader: ImageFiles,
    allowed_paths: Mapping[str, Sequence[str]],
    base_paths: Callable[[], tuple[set[str], set[str]] | None] | None,
    copy_destinations: Sequence[str] = (),
) -> list[Drop]:
    dropped_paths = sorted(set(before.files) - set(after.files))
    removed_packages = installed_packages(before.files) - installed_packages(after.files)
    owners = dpkg_owners(before_reader, removed_packages) if dropped_paths else {}
    # dpkg lists paths through the symlinks of merged /usr (/bin/x is /usr/bin/x): index both ways.
    for path, package in list(owners.items()):
        real = resolve(before.files, path)
        if real and real != path:
            owners.setdefault(real, package)
    rules = [(code, _DeclaredPaths(patterns)) for code, patterns in allowed_paths.items() if patterns]
    toolchain, caches, bookkeeping = (
        [_glob(p) for p in TOOLCHAINS],
        [_glob(p) for p in CACHES],
        [_glob(p) for p in PACKAGE_BOOKKEEPING],
    )
    drops: list[Drop] = []
    for path in dropped_paths:
        entry = before.files[path]
        drop = Drop(path, entry.kind)
        diff = PathDifference(path, "removed", entry, None)
        if path in owners:
            drop.explained_by = f"package {owners[path]} (build-only: not in the rewrite)"
        elif (pkg := _dpkg_meta(path, removed_packages)) is not None:
            drop.explained_by = f"package {pkg} (its dpkg metadata)"
        elif any(r.fullmatch(path) for r in toolchain) or _below(path, toolchain):
            drop.explained_by = "toolchain"
        elif any(r.fullmatch(path) for r in caches) or _below(path, caches):
            drop.explained_by = "cache"
        elif any(r.fullmatch(path) for r in bookkeeping):
            drop.explained_by = "alternatives (package bookkeeping)"
        elif (code := next((c for c, m in rules if m.covers(path)), None)) is not None:
            drop.explained_by = f"rule {code}"
        elif _volatile_match(diff, VOLATILE_PATTERNS) is not None:
            drop.explained_by = "volatile"
        elif any(path.startswith(d.rstrip("/") + "/") or path == d for d in copy_destinations if d != "/"):
            drop.explained_by = "build input (copied from the context for the build)"
        drops.append(drop)
    _explain_directories(drops, before)
    if base_paths is not None and any(d.explained_by is None for d in drops):
        bases = base_paths()
        if bases is not None:
            original_base, twin_base = bases
            for drop in drops:
                if drop.explained_by is None and drop.path in original_base and drop.path not in twin_base:
                    drop.explained_by = "base image (in the original's base, not in the twin's)"
            _explain_directories(drops, before)
    return drops


def _below(path: str, regexes: list[Any]) -> bool:
    """A directory whose pattern is ``dir/**`` is the same subtree."""
    return any(r.fullmatch(path + "/x") for r in regexes)


def _dpkg_meta(path: str, removed: set[str]) -> str | None:
    if not path.startswith("/var/lib/dpkg/info/"):
        return None
    name = posixpath.basename(path).split(".", 1)[0].split(":", 1)[0]
    return name if name in removed else None


def _explain_directories(drops: list[Drop], before: Snapshot) -> None:
    """A dropped directory all of whose dropped contents are explained is explained with them."""
    by_path = {d.path: d for d in drops}
    for drop in sorted(drops, key=lambda d: d.path.count("/"), reverse=True):
        if drop.explained_by is not None or drop.kind != "dir":
            continue
        prefix = drop.path + "/"
        below = [d for p, d in by_path.items() if p.startswith(prefix)]
        if below and all(d.explained_by for d in below):
            drop.explained_by = below[0].explained_by
        elif not below:
            drop.explained_by = "empty directory"


def compare_split(
    before: Snapshot,
    after: Snapshot,
    *,
    facts: DockerfileFacts,
    before_reader: ImageFiles,
    after_reader: ImageFiles,
    allowed_paths: Mapping[str, Sequence[str]] | None = None,
    behaviour: tuple[Behaviour, Behaviour] | None = None,
    base_paths: Callable[[], tuple[set[str], set[str]] | None] | None = None,
) -> SplitComparison:
    """Judge a split rewrite (see the module docstring); ``behaviour`` is (original, rewrite) runs."""
    allowed_paths = dict(allowed_paths or {})
    declared = [p for patterns in allowed_paths.values() for p in patterns]
    allowed = _DeclaredPaths(declared) if declared else None
    closure = runtime_closure(before.files, before.config, before_reader)
    closure_paths = {i.path for i in closure.items} | {i.resolved for i in closure.items if i.resolved}
    changed = sorted(
        p
        for p in set(before.files) & set(after.files)
        if before.files[p] != after.files[p] and p not in closure_paths
    )
    behaviour_diffs: list[BehaviourDifference] = []
    notes: list[str] = []
    ran = False
    if behaviour is not None:
        behaviour_diffs = compare_behaviour(*behaviour)
        notes = [*behaviour[0].notes, *(n for n in behaviour[1].notes if n not in behaviour[0].notes)]
        ran = True
    return SplitComparison(
        config_differences=compare_split_configs(before, after, facts),
        closure_size=len(closure.items),
        closure_problems=check_closure(before, after, closure, after_reader, before_reader, allowed),
        closure_notes=closure.problems,
        dropped=explain_drops(
            before, after, before_reader, allowed_paths, base_paths, facts.copy_destinations
        ),
        changed_outside=changed,
        added=len(set(after.files) - set(before.files)),
        behaviour=behaviour_diffs,
        behaviour_notes=notes,
        behaviour_ran=ran,
        observed=behaviour,
    )
