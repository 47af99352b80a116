"""WORKDIR, ENV and ARG in effect at each instruction, stage by stage.

Why: a COPY's relative destination lands under the current WORKDIR, and its sources and
destination may use variables. To move or rewrite a COPY we must know both exactly — or know
that we do not. BuildKit's rules, followed here:

* Each stage starts from its base. ``FROM scratch`` has WORKDIR ``/`` and no variables;
  ``FROM <earlier stage>`` inherits that stage's final WORKDIR and ENV (not its ARGs); any other
  image has a WORKDIR and ENV we cannot see, so a relative path or an undeclared variable there
  is *unknown* (never guessed as ``/`` or empty).
* ``WORKDIR`` expands variables, then joins a relative path onto the previous WORKDIR and cleans.
* ``ENV`` values are expanded with the variables in effect *before* the instruction (so
  ``ENV a=1 b=$a`` sees the old ``a``); ENV wins over an ARG of the same name.
* ``ARG name=default`` is known but marked as depending on a build arg; ``ARG name`` takes the
  global default (an ARG before the first FROM) or, without one, is unknown (it may be passed
  with ``--build-arg``, or be one of the automatic platform ARGs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..syntax.nodes import Dockerfile, Instruction
from .expansion import Expansion, expand
from .gomatch import clean

__all__ = ["Scope", "instruction_scopes", "join_path"]


@dataclass(frozen=True)
class Scope:
    """What an instruction sees: the stage's WORKDIR and variables just before it runs."""

    stage: int | None  # None for ARGs before the first FROM
    workdir: Expansion  # absolute and clean, or unknown
    env: Mapping[str, Expansion] = field(default_factory=dict)
    args: Mapping[str, Expansion] = field(default_factory=dict)
    base_known: bool = False  # False: the base image may define variables we cannot see
    escape: str = "\\"

    def lookup(self, name: str) -> Expansion | None:
        """A variable's value as BuildKit would expand it; None when it is certainly unset."""
        if name in self.env:
            return self.env[name]
        if name in self.args:
            return self.args[name]
        if self.base_known:
            return None
        return Expansion(None, (name,))

    def expand(self, word: str) -> Expansion:
        return expand(word, self.lookup, self.escape)


def join_path(base: Expansion, path: Expansion) -> Expansion:
    """``path`` resolved against the directory ``base`` and cleaned (BuildKit's WORKDIR rule)."""
    if path.text is None:
        return path
    if path.text.startswith("/"):
        return Expansion(clean(path.text), (), path.args)
    if base.text is None:
        return Expansion(None, base.unknown + path.unknown, base.args + path.args)
    return Expansion(clean("/" + base.text + "/" + path.text), (), _merge(base.args, path.args))


def _merge(*groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for group in groups for name in group))


@dataclass
class _State:
    stage: int | None
    workdir: Expansion
    env: dict[str, Expansion]
    args: dict[str, Expansion]
    base_known: bool
    escape: str

    def freeze(self) -> Scope:
        return Scope(
            self.stage,
            self.workdir,
            MappingProxyType(dict(self.env)),
            MappingProxyType(dict(self.args)),
            self.base_known,
            self.escape,
        )

    def lookup(self, name: str) -> Expansion | None:
        """Same rule as :meth:`Scope.lookup`, on the live state."""
        if name in self.env:
            return self.env[name]
        if name in self.args:
            return self.args[name]
        return None if self.base_known else Expansion(None, (name,))


def instruction_scopes(dockerfile: Dockerfile) -> dict[Instruction, Scope]:
    """The scope in effect when each top-level instruction runs (before its own effect)."""
    escape = dockerfile.escape
    result: dict[Instruction, Scope] = {}
    meta = _State(None, Expansion(None, ("no stage",)), {}, {}, True, escape)
    finals: dict[str, _State] = {}
    state = meta
    frozen: tuple[_State, Scope] | None = None
    for ins in dockerfile.instructions:
        name = ins.name
        if name == "FROM":
            if state is not meta:
                _remember(finals, dockerfile, state)
            state = _start_stage(dockerfile, ins, meta, finals)
        # Instructions between two changes of the state share one (immutable) Scope.
        if frozen is None or frozen[0] is not state:
            frozen = (state, state.freeze())
        result[ins] = frozen[1]
        if name == "ARG":
            _apply_arg(state, ins, meta)
            frozen = None
        elif name == "ENV":
            _apply_env(state, ins)
            frozen = None
        elif name == "WORKDIR" and state is not meta:
            word = ins.value[0] if len(ins.value) == 1 else ins.args
            path = expand(word, state.lookup, escape)
            state.workdir = join_path(state.workdir, path)
            frozen = None
    return result


def _remember(finals: dict[str, _State], dockerfile: Dockerfile, state: _State) -> None:
    if state.stage is None:
        return
    finals[str(state.stage)] = state
    stage = dockerfile.stages[state.stage]
    if stage.name:
        finals[stage.name.lower()] = state


def _start_stage(dockerfile: Dockerfile, ins: Instruction, meta: _State, finals: dict[str, _State]) -> _State:
    index = ins.stage if ins.stage is not None else len(finals)
    base_word = dockerfile.stages[index].base if ins.stage is not None else (ins.value or ("",))[0]
    base = expand(base_word, lambda n: meta.args.get(n), meta.escape)
    text = (base.text or "").lower()
    if base.known and text == "scratch":
        return _State(index, Expansion("/"), {}, {}, True, meta.escape)
    parent = finals.get(text) if base.known else None
    if parent is not None:
        return _State(index, parent.workdir, dict(parent.env), {}, parent.base_known, meta.escape)
    reason = f"WORKDIR of base image {base_word}"
    return _State(index, Expansion(None, (reason,)), {}, {}, False, meta.escape)


def _apply_arg(state: _State, ins: Instruction, meta: _State) -> None:
    for item in ins.value:
        key, eq, default = item.partition("=")
        if eq:
            value = expand(default, state.lookup, state.escape)
            value = Expansion(value.text, value.unknown, _merge(value.args, (key,)))
        elif state is not meta and key in meta.args and meta.args[key].known:
            inherited = meta.args[key]
            value = Expansion(inherited.text, (), _merge(inherited.args, (key,)))
        else:
            value = Expansion(None, (key,), (key,))
        state.args[key] = value


def _apply_env(state: _State, ins: Instruction) -> None:
    values = ins.value
    pairs = [(values[i], values[i + 1]) for i in range(0, len(values) - 1, 2)]
    before = dict(state.env), dict(state.args)
    snapshot = _State(state.stage, state.workdir, before[0], before[1], state.base_known, state.escape)
    for key, raw in pairs:
        state.env[key] = expand(raw, snapshot.lookup, state.escape)
