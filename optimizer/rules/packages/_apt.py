"""apt facts the apt rules (DO301–DO303) share: what updates the package lists, what needs them.

``apt-get update`` downloads the package lists to ``/var/lib/apt/lists``; ``install`` and friends
read them. A rule that deletes the lists (or hides them under a cache mount) must know that no
later RUN of the image reads them without downloading its own, and a rule that moves an update
must know which RUN is the one that installs.
"""

from __future__ import annotations

from ...shell import Invocation, Script, analyse_run, invocations
from ...syntax import Dockerfile, Instruction

APT = ("apt-get", "apt")
LISTS = "/var/lib/apt/lists"
# Subcommands that read the package lists (and, all but `source`/`download`, install packages).
INSTALLING = frozenset({"install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "reinstall"})
READS_LISTS = INSTALLING | {"source", "download", "satisfy", "changelog"}
_OTHER_READERS = ("apt-cache", "aptitude")


def apt_invocations(script: Script) -> list[Invocation]:
    return invocations(script, APT)


def updates(script: Script) -> list[Invocation]:
    return [i for i in apt_invocations(script) if i.subcommand == "update"]


def installs(script: Script) -> list[Invocation]:
    return [i for i in apt_invocations(script) if i.subcommand in INSTALLING]


def lists_cleaned_after(script: Script, offset: int) -> bool:
    """The script deletes (or mentions) the lists after ``offset``, or runs ``apt-get dist-clean``."""
    rest = script.text[offset:]
    return LISTS in rest or any(
        i.subcommand == "dist-clean" and i.command.span[0] >= offset for i in apt_invocations(script)
    )


def lists_use(tree: Dockerfile, instruction: Instruction) -> str | None:
    """How a later RUN (or ONBUILD RUN) depends on the package lists already in the image:
    "reads" (it reads them before downloading its own), "refreshes" (it runs ``update`` first), or
    None. Unreadable scripts (exec form, another shell) that mention apt count as readers."""
    target = instruction.sub or instruction
    if target.name != "RUN":
        return None
    script = analyse_run(tree, instruction)
    if script is None:
        text = target.args
        if not any(name in text for name in (*APT, *_OTHER_READERS)):
            return None
        return "refreshes" if "update" in text else "reads"
    recognised = {id(i.command): i for i in apt_invocations(script)}
    for command in script.commands:
        name = (command.name or "").rsplit("/", 1)[-1]
        if name in _OTHER_READERS:
            return (
                "refreshes"
                if name == "aptitude" and any(w.value == "update" for w in command.args)
                else "reads"
            )
        invocation = recognised.get(id(command))
        if invocation is None:
            continue
        if invocation.subcommand == "update":
            return "refreshes"
        if invocation.subcommand in READS_LISTS:
            return "reads"
    return None


def next_reader(tree: Dockerfile, later: list[Instruction]) -> Instruction | None:
    """The first of ``later`` that reads the lists the image holds now (before any RUN refreshes them)."""
    for item in later:
        use = lists_use(tree, item)
        if use == "reads":
            return item
        if use == "refreshes" and item.sub is None:
            return None
    return None
