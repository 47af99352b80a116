"""What a split plan is: the builder, the twin and what the twin carries (or why there is none)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...syntax import Instruction
from ._ecosystems import StageBuild
from ._twin import Twin

SYSTEM_DIRS = ("/", "/usr", "/etc", "/var", "/bin", "/sbin", "/lib", "/root", "/opt", "/go", "/tmp")
BASE_LIBRARIES = frozenset({"libc6", "libgcc-s1", "libstdc++6", "zlib1g", "libcrypt1"})


@dataclass
class Refusal:
    instruction: Instruction
    reason: str


@dataclass
class Plan:
    builder: Instruction  # the FROM to name
    builder_name: str
    twin: Twin
    base: str  # the twin's FROM reference (the minimal base when chosen)
    build: StageBuild
    copies: list[str] = field(default_factory=list)  # absolute paths copied from the builder
    prune_node: bool = False  # production dependencies only, through a ``npm prune`` stage
    packages: list[str] = field(default_factory=list)  # apt packages the twin installs
    ldconfig: bool = False
    metadata: list[Instruction] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)
    proven: str | None = None  # None: the closure is not proven statically (why is in ``unproven``)
    unproven: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # ENV values that expand a base image's variable, as the built original has them (the twin's
    # base defines other variables: ``PATH=/app/bin:$PATH`` must keep the original's value)
    env_values: dict[str, str] = field(default_factory=dict)
    # directories the twin must give back their owner and mode (COPY creates them root-owned, 0755)
    fixups: list[tuple[str, str, int]] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)  # program names to look for on PATH in a built image


def inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def go_static(result: Plan) -> bool:
    return all(step.static for step in result.build.steps if step.ecosystem == "go")
