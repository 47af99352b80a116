"""What BuildKit's instruction layer refuses in a file its parser accepts.

``docker build`` turns the parsed tree into typed instructions (moby/buildkit
``frontend/dockerfile/instructions``: ``parse.go``, ``bflag.go``, ``commands_runmount.go``,
``commands_runnetwork.go``) before any step runs, and fails the whole build on: a bare ``ENV``, a
flag an instruction does not take, a ``--mount`` field without a value, ``COPY`` without a
destination, an unknown ``HEALTHCHECK`` type, a stage name with symbols, … Such a file must not be
rewritten as if it were valid: ``check_instructions`` reports each problem as a ``ParseError`` with
the position of the offending word.

Only what is decided by the file itself is checked here — never what depends on the build (image
names, users, context files). Values holding a variable (``$``) are left alone where BuildKit
expands them before checking (``--mount`` values, ``--chmod``, ``EXPOSE``, durations are not
expanded and are checked). Where BuildKit versions differ (flags of the ``labs`` channel, newer
``--mount`` keys, symbolic ``--chmod``), the most permissive reading is taken: a file some current
BuildKit builds is never refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .errors import ParseError
from .nodes import Dockerfile, Flag, Instruction

_BOOL, _STRING, _STRINGS = "bool", "string", "strings"

# Flags per instruction (``req.flags.Add*`` in parse.go and the RUN hooks). ``exclude``, ``parents``,
# ``unpack``, ``device`` and ``security`` come from newer or labs frontends; they are accepted.
_FLAGS: dict[str, dict[str, str]] = {
    "ADD": {
        "chown": _STRING,
        "chmod": _STRING,
        "link": _BOOL,
        "keep-git-dir": _BOOL,
        "checksum": _STRING,
        "unpack": _BOOL,
        "exclude": _STRINGS,
        "parents": _BOOL,
    },
    "COPY": {
        "chown": _STRING,
        "from": _STRING,
        "chmod": _STRING,
        "link": _BOOL,
        "exclude": _STRINGS,
        "parents": _BOOL,
    },
    "FROM": {"platform": _STRING},
    "RUN": {"mount": _STRINGS, "network": _STRING, "security": _STRING, "device": _STRINGS},
    "HEALTHCHECK": {
        "interval": _STRING,
        "timeout": _STRING,
        "start-period": _STRING,
        "start-interval": _STRING,
        "retries": _STRING,
    },
}
# Instructions whose parser never calls ``req.flags.Parse()``: their flags are ignored.
_FLAGS_IGNORED = frozenset({"ARG", "STOPSIGNAL"})

_MOUNT_TYPES = ("bind", "cache", "tmpfs", "secret", "ssh")
_MOUNT_KEYS = frozenset(
    {
        "type", "from", "source", "src", "target", "dst", "destination", "readonly", "ro",
        "readwrite", "rw", "required", "size", "id", "sharing", "mode", "uid", "gid", "env",
    }
)  # fmt: skip
_SHARING = ("shared", "private", "locked")
_NETWORKS = ("default", "none", "host")
_SECURITY = ("sandbox", "insecure")
_GO_BOOLS = frozenset({"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"})
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9\-_.]*$")
_RAM_BYTES = re.compile(r"^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")  # go-units RAMInBytes
_GO_DURATION = re.compile(r"^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$|^[-+]?0$")
_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_SYMBOLIC_MODE = re.compile(r"^[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+$")
_PROTOCOLS = ("tcp", "udp", "sctp")


class InstructionError(ParseError):
    """An instruction BuildKit parses but refuses to build."""


class _Problem(Exception):
    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset  # source offset to point at; the keyword when None


def check_instructions(tree: Dockerfile, text: str) -> list[ParseError]:
    """The first problem BuildKit's instruction layer would refuse the file for (none: ``[]``)."""
    problems: list[ParseError] = []
    seen_from = False
    labs = _labs_frontend(tree)
    workdirs: dict[int, str | None] | None = None  # read only for a RUN with flags: found then
    for instruction in tree.instructions:
        try:
            if instruction.name == "FROM":
                seen_from = True
            elif instruction.name != "ARG" and not seen_from:
                raise _Problem(f"{instruction.name} before the first FROM: no build stage in current context")
            _check(instruction)
            if instruction.name == "RUN" and instruction.flags:  # without flags there is nothing to check
                if workdirs is None:
                    workdirs = _workdirs(tree)
                _run_in_context(instruction, labs, workdirs.get(id(instruction)))
        except _Problem as problem:
            offset = instruction.keyword_start if problem.offset is None else problem.offset
            column = offset - text.rfind("\n", 0, offset)
            # BuildKit stops at the first instruction it cannot read, and so do we.
            return [InstructionError(problem.message, _line_of(text, offset), column)]
    return problems


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _check(ins: Instruction) -> None:
    name = ins.name
    if name == "HEALTHCHECK" and ins.value and ins.value[0].upper() == "NONE":
        if len(ins.value) > 1:
            raise _Problem("HEALTHCHECK NONE takes no arguments")
        return  # BuildKit does not read HEALTHCHECK NONE's flags
    flags = _flags(ins)
    checker = _CHECKS.get(name)
    if checker is not None:
        checker(ins, flags)


def _flags(ins: Instruction) -> dict[str, list[Flag]]:
    """``BFlags.Parse``: every flag known to the instruction, with a value where it needs one."""
    used: dict[str, list[Flag]] = {}
    if not ins.flags or ins.name in _FLAGS_IGNORED:
        return used
    known = _FLAGS.get(ins.name, {})
    for flag in ins.flags:
        if flag.text == "--":
            break
        word = flag.text[2:]
        name, has_value, value = word.partition("=")
        kind = known.get(name)
        if kind is None:
            takes = ", ".join(f"--{n}" for n in known) or "none"
            raise _Problem(f"unknown flag --{name} for {ins.name} (it takes: {takes})", flag.start)
        if name in used and kind != _STRINGS:
            raise _Problem(f"duplicate flag --{name}", flag.start)
        if kind == _BOOL:
            if has_value and value.lower() not in ("true", "false"):
                raise _Problem(f"--{name} expects true or false, not {value!r}", flag.start)
        elif not has_value:
            raise _Problem(f"missing a value on flag --{name} (write --{name}=…)", flag.start)
        used.setdefault(name, []).append(flag)
    return used


def _value(flag: Flag) -> str:
    return flag.value or ""


# -- per instruction ------------------------------------------------------------------------------


def _kvps(ins: Instruction, flags: dict[str, list[Flag]]) -> None:
    if not ins.value:
        raise _Problem(f"{ins.name} requires at least one argument")
    for key in ins.value[::2]:
        if key == "":
            raise _Problem(f"{ins.name} names can not be blank")


def _exactly_one(ins: Instruction, flags: dict[str, list[Flag]]) -> None:
    if len(ins.value) != 1:
        raise _Problem(f"{ins.name} requires exactly one argument")


def _at_least_one(ins: Instruction, flags: dict[str, list[Flag]]) -> None:
    if not ins.value:
        raise _Problem(f"{ins.name} requires at least one argument")


_FD_HEREDOC_RE = re.compile(r"^\d+<<")


def _copy(ins: Instruction, flags: dict[str, list[Flag]]) -> None:
    if len(ins.value) < 2:
        raise _Problem(
            f"{ins.name} requires at least two arguments (sources and a destination), but only "
            f"{len(ins.value)} {'was' if len(ins.value) == 1 else 'were'} given"
        )
    last = ins.value[-1]
    if "<<" in last and (last.startswith("<<") or _FD_HEREDOC_RE.match(last)):
        from .buildkit import UnterminatedQuote, heredoc_from_word

        try:
            heredoc = heredoc_from_word(last)
        except UnterminatedQuote:
            heredoc = None
        if heredoc is not None:
            raise _Problem(f"{ins.name} cannot accept a heredoc as a destination")
    for flag in flags.get("checksum", []):
        value = _value(flag)
        if value and "$" not in value and not _valid_checksum(value):
            raise _Problem(
                f"invalid --checksum={value}: expected sha256:<64 hex digits> (or sha384/sha512, "
                "or a git commit hash)",
                flag.start,
            )
    for flag in flags.get("chmod", []):
        mode = _value(flag)
        if "$" in mode:
            continue
        octal = re.fullmatch(r"[0-7]+", mode) is not None and int(mode, 8) < 2**32
        symbolic = all(_SYMBOLIC_MODE.match(part) for part in mode.split(",")) and mode != ""
        if not octal and not symbolic:
            raise _Problem(f"invalid --chmod={mode}: expected an octal mode such as 0755 or u+x", flag.start)


_DIGEST_HEX = {"sha256": 64, "sha384": 96, "sha512": 128}


def _valid_checksum(value: str) -> bool:
    """go-digest ``Parse`` for the algorithms BuildKit knows; a bare commit hash for git sources."""
    algorithm, colon, encoded = value.partition(":")
    if not colon:
        return re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", value) is not None
    size = _DIGEST_HEX.get(algorithm)
    return size is not None and re.fullmatch(rf"[0-9a-f]{{{size}}}", encoded) is not None


def _from(ins: Instruction, flags: dict[str, list[Flag]]) -> None:
    words = ins.value
    if len(words) == 3 and words[1].lower() == "as":
        if not _STAGE_NAME.match(words[2].lower()):
            raise _Problem(
                f"invalid name for build stage: {words[2]!r}, name can't start with a number or contain symbols"
            )
    elif len(words) != 1:
        raise _Problem("FROM requires either one argument (the image) or three (image AS name)")


def _onbuild(ins: Instruction, flags: dict[str, list[Flag]]) -> None:
    if ins.sub is None:
        raise _Problem("ONBUILD requires at least one argument")


def _healthcheck(ins: Instruction, flags: dict[str, list[Flag]]) -> None:
    if not ins.value:
        raise _Problem("HEALTHCHECK requires at least one argument")
    kind = ins.value[0].upper()
    if kind != "CMD":
        raise _Problem(f"unknown type {ins.value[0]!r} in HEALTHCHECK (try CMD or NONE)")
    if len(ins.value) < 2 or (not ins.json and not ins.value[1]):
        raise _Problem("missing command after HEALTHCHECK CMD")
    for name in ("interval", "timeout", "start-period", "start-interval"):
        for flag in flags.get(name, []):
            _duration(name, _value(flag), flag)
    for flag in flags.get("retries", []):
        value = _value(flag)
        if value == "":
            continue
        if not re.fullmatch(r"[-+]?\d+", value) or not -(2**31) <= int(value) < 2**31:
            raise _Problem(f"invalid --retries={value}: expected a whole number", flag.start)
        if int(value) < 0:
            raise _Problem(f"--retries cannot be negative ({int(value)})", flag.start)


def _duration(name: str, value: str, flag: Flag) -> None:
    """``parseOptInterval``: empty, zero, or a Go duration of at least 1ms."""
    if value == "":
        return
    if not _GO_DURATION.match(value):
        raise _Problem(f"invalid --{name}={value}: expected a duration such as 30s or 1m30s", flag.start)
    seconds = sum(float(n) * _DURATION_UNITS[unit] for n, unit in _DURATION_PART.findall(value))
    if value.startswith("-"):
        seconds = -seconds
    if seconds != 0 and seconds < 1e-3:
        raise _Problem(f"--{name} cannot be less than 1ms", flag.start)


def _expose(ins: Instruction, flags: dict[str, list[Flag]]) -> None:
    if not ins.value:
        raise _Problem("EXPOSE requires at least one argument")
    for spec in ins.value:
        if any(c in spec for c in "$'\"\\"):
            continue  # expanded and unquoted by the build first
        problem = _port_problem(spec)
        if problem:
            raise _Problem(f"invalid port {spec!r} in EXPOSE: {problem}")


def _port_problem(spec: str) -> str | None:
    """nat.ParsePortSpec, container side: ``[[ip:]host:]port[-port][/tcp|udp|sctp]``."""
    port, slash, proto = spec.rpartition("/") if "/" in spec else (spec, "", "")
    if slash and proto.lower() not in _PROTOCOLS:
        return f"unknown protocol {proto!r} (tcp, udp or sctp)"
    container = port.rsplit(":", 1)[-1]
    if container == "":
        return "no port number"
    low, dash, high = container.partition("-")
    for part in (low, high) if dash else (low,):
        if not part.isdigit() or not part.isascii() or int(part) > 65535:
            return f"{part!r} is not a port number (0-65535)"
    if dash and int(low) > int(high):
        return f"the range {container} ends before it starts"
    return None


def _volume(ins: Instruction, flags: dict[str, list[Flag]]) -> None:
    if not ins.value:
        raise _Problem("VOLUME requires at least one argument")
    if any(v.strip() == "" for v in ins.value):
        raise _Problem("VOLUME specified can not be an empty string")


def _arg(ins: Instruction, flags: dict[str, list[Flag]]) -> None:
    if not ins.value:
        raise _Problem("ARG requires at least one argument")
    for word in ins.value:
        if word.startswith("="):
            raise _Problem(f"ARG names can not be blank ({word!r})")


def _shell(ins: Instruction, flags: dict[str, list[Flag]]) -> None:
    if not ins.value:
        raise _Problem("SHELL requires at least one argument")
    if not ins.json:
        raise _Problem('SHELL requires the arguments to be in JSON form, e.g. SHELL ["/bin/sh", "-c"]')


def _run(ins: Instruction, flags: dict[str, list[Flag]]) -> None:
    for flag in flags.get("mount", []):
        problem = _mount_problem(_value(flag))
        if problem:
            raise _Problem(f"invalid --mount: {problem}", flag.start)
    for flag in flags.get("network", []):
        value = _value(flag)
        if "$" not in value and value not in _NETWORKS:
            raise _Problem(f"unsupported network mode {value!r} (default, none or host)", flag.start)
    for flag in flags.get("security", []):
        value = _value(flag)
        if "$" not in value and value not in _SECURITY:
            raise _Problem(f"unsupported security mode {value!r} (sandbox or insecure)", flag.start)


_CHECKS = {
    "ENV": _kvps,
    "LABEL": _kvps,
    "MAINTAINER": _exactly_one,
    "WORKDIR": _exactly_one,
    "USER": _exactly_one,
    "STOPSIGNAL": _exactly_one,
    "ADD": _copy,
    "COPY": _copy,
    "FROM": _from,
    "ONBUILD": _onbuild,
    "HEALTHCHECK": _healthcheck,
    "EXPOSE": _expose,
    "VOLUME": _volume,
    "ARG": _arg,
    "SHELL": _shell,
    "RUN": _run,
}


# -- what depends on the rest of the file ---------------------------------------------------------

# RUN flags only the ``labs`` channel of the Dockerfile frontend knows: the engine's built-in
# frontend and ``docker/dockerfile:<version>`` say "unknown flag".
_LABS_RUN_FLAGS = ("security", "device")


def _labs_frontend(tree: Dockerfile) -> bool:
    """Whether the file may be built by a frontend with the labs flags: a ``# syntax=`` that is not a
    plain ``docker/dockerfile:<version>`` image (a labs tag, or another frontend we cannot judge)."""
    syntax = tree.directive("syntax")
    if syntax is None:
        return False
    image = syntax.value.strip().removeprefix("docker.io/")
    name, _, tag = image.partition(":")
    if name != "docker/dockerfile":
        return True
    return "labs" in tag


def _workdirs(tree: Dockerfile) -> dict[int, str | None]:
    """Per RUN (by id): the working directory it runs in as far as the file says (None: unknown, a
    WORKDIR with a variable, or an image's own WORKDIR, which the file does not show — only
    ``scratch`` is known to start in ``/``)."""
    result: dict[int, str | None] = {}
    by_name: dict[str, str | None] = {}
    for stage in tree.stages:
        base = stage.base.lower()
        # An image starts where its config says: "/" for scratch; for any other image unknown here
        # (golang starts in /go), so a target relative to it is not judged.
        current: str | None = by_name.get(base, "/" if base == "scratch" else None)
        for instruction in stage.instructions[1:]:
            if instruction.name == "WORKDIR" and instruction.value:
                path = instruction.value[0]
                if "$" in path:
                    current = None
                elif path.startswith("/"):
                    current = path
                elif current is not None:
                    current = current.rstrip("/") + "/" + path
            elif instruction.name == "RUN":
                result[id(instruction)] = current
        if stage.name:
            by_name[stage.name] = current
        by_name[str(stage.index)] = current
    return result


def _run_in_context(ins: Instruction, labs: bool, workdir: str | None) -> None:
    if not labs:
        for flag in ins.flags:
            if flag.name in _LABS_RUN_FLAGS:
                raise _Problem(
                    f"--{flag.name} is a labs flag: BuildKit's built-in frontend refuses it "
                    "(add `# syntax=docker/dockerfile:1-labs` to use it)",
                    flag.start,
                )
    for flag in ins.flags:
        if flag.name != "mount" or "$" in _value(flag):
            continue
        target = _mount_target(_value(flag))
        if target is None:
            continue
        if not target.startswith("/"):
            if workdir is None:
                continue  # relative to a working directory the base image decides
            target = workdir.rstrip("/") + "/" + target
        if _clean(target) == "/":
            if _mount_target_given(_value(flag)):
                message = (
                    'invalid --mount: the target resolves to "/", which BuildKit refuses as a mount target'
                )
            else:
                message = (
                    "invalid --mount: no target= given, so it mounts at the working directory, "
                    '"/" here (no WORKDIR); BuildKit refuses "/" as a mount target'
                )
            raise _Problem(message, flag.start)


def _mount_target(value: str) -> str | None:
    """Where a bind/cache/tmpfs mount goes, as written (``""`` when no target is given); None for
    secret and ssh mounts (they default elsewhere) and for values we do not read."""
    try:
        fields = list(_csv_fields(value))
    except _Problem:
        return None
    kind, target = "bind", ""
    for field in fields:
        key, _, raw = field.partition("=")
        key = key.lower()
        if key == "type":
            kind = raw.lower()
        elif key in ("target", "dst", "destination"):
            target = raw
    return None if kind in ("secret", "ssh") else target


def _mount_target_given(value: str) -> bool:
    return any(
        field.partition("=")[0].lower() in ("target", "dst", "destination") for field in value.split(",")
    )


def _clean(path: str) -> str:
    """Go's ``filepath.Clean`` on an absolute path."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


# -- RUN --mount ----------------------------------------------------------------------------------


def _csv_fields(value: str) -> Iterator[str]:
    """One record of Go's encoding/csv (comma-separated, ``"`` quoting, no bare quotes)."""
    if value == "":
        raise _Problem("failed to parse csv mounts: the value is empty")
    i, n = 0, len(value)
    while True:
        if i < n and value[i] == '"':
            field: list[str] = []
            i += 1
            while True:
                close = value.find('"', i)
                if close < 0:
                    raise _Problem('failed to parse csv mounts: extraneous or missing " in quoted-field')
                field.append(value[i:close])
                i = close + 1
                if i < n and value[i] == '"':
                    field.append('"')
                    i += 1
                    continue
                break
            if i < n and value[i] != ",":
                raise _Problem('failed to parse csv mounts: extraneous or missing " in quoted-field')
            yield "".join(field)
        else:
            comma = value.find(",", i)
            end = n if comma < 0 else comma
            if '"' in value[i:end]:
                raise _Problem('failed to parse csv mounts: bare " in non-quoted-field')
            yield value[i:end]
            i = end
        if i >= n:
            return
        i += 1  # the comma
        if i == n:
            yield ""
            return


def _mount_problem(value: str) -> str | None:
    """``parseMount`` and ``validateMount`` as the build runs them (values expanded first: a value
    holding a variable is not checked)."""
    try:
        fields = list(_csv_fields(value))
    except _Problem as bad_csv:
        return bad_csv.message
    kind = "bind"
    seen: dict[str, str] = {}
    for field in fields:
        key, has_value, raw = field.partition("=")
        key = key.lower()
        if not has_value:
            if key in ("readonly", "ro", "readwrite", "rw"):
                continue
            if key == "required":
                if kind in ("secret", "ssh"):
                    continue
                return f"unexpected key 'required' for mount type '{kind}'"
            return f"field {field!r} must be a key=value pair"
        if key == "from" and re.search(r"\$.", raw):
            return "'from' doesn't support variable expansion, define alias stage instead"
        if key not in _MOUNT_KEYS:
            return f"unexpected key {key!r} in {field!r}"
        seen[key] = raw
        if "$" in raw:
            continue
        wrong = _mount_value_problem(key, raw, kind)
        if wrong:
            return wrong
        if key == "type":
            kind = raw.lower()
    return _mount_shape_problem(kind, seen)


def _mount_value_problem(key: str, raw: str, kind: str) -> str | None:
    if key == "type" and raw.lower() not in _MOUNT_TYPES:
        return f"unsupported mount type {raw!r} (bind, cache, tmpfs, secret or ssh)"
    if key in ("readonly", "ro", "readwrite", "rw") and raw not in _GO_BOOLS:
        return f"invalid value for {key}: {raw}"
    if key == "required":
        if kind not in ("secret", "ssh"):
            return f"unexpected key 'required' for mount type '{kind}'"
        if raw not in _GO_BOOLS:
            return f"invalid value for {key}: {raw}"
    if key == "size":
        if kind != "tmpfs":
            return f"unexpected key 'size' for mount type '{kind}'"
        if not _RAM_BYTES.match(raw):
            return f"invalid value for size: {raw}"
    if key == "sharing" and raw.lower() not in _SHARING:
        return f"unsupported sharing value {raw!r} (shared, private or locked)"
    if key == "mode" and not (re.fullmatch(r"[0-7]+", raw) and int(raw, 8) < 2**32):
        return f"invalid value {raw} for mode"
    if key in ("uid", "gid") and not (re.fullmatch(r"[0-9]+", raw) and int(raw) < 2**32):
        return f"invalid value {raw} for {key}"
    return None


def _mount_shape_problem(kind: str, seen: dict[str, str]) -> str | None:
    if kind not in ("secret", "ssh", "cache"):
        for key in ("mode", "uid", "gid"):
            if key in seen:
                return f"{key} not allowed for {kind!r} type mounts"
    if kind == "secret":
        if seen.get("from"):
            return "secret mount should not have a from"
        if seen.get("sharing"):
            return "secret mount should not define sharing"
        source = seen.get("source") or seen.get("src")
        target = seen.get("target") or seen.get("dst") or seen.get("destination")
        if not source and not target and not seen.get("id") and not seen.get("env"):
            return "invalid secret mount: one of source, target or id required"
        if source and seen.get("id"):
            return "a secret mount cannot set both source and id"
    if seen.get("sharing") and kind != "cache":
        return f"invalid cache sharing set for {kind} mount"
    return None
