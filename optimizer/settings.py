"""One immutable settings object carries every option from the CLI and the config file (black's Mode)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .rules.base import Rule
    from .rules.catalogue import Entry

CACHE_STRATEGIES = ("cleanup", "mounts")
CONFIG_NAMES = ("dockopt.toml", ".dockopt.toml", "pyproject.toml")


class ConfigError(Exception):
    """A config file or option we cannot use; reported as ``path: message`` with exit code 2."""


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()  # empty: the rules that are on by default
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    # Package caches: "cleanup" removes them in the installing RUN; "mounts" keeps them out of the
    # image with BuildKit cache mounts (and reuses them across builds). Never both.
    cache_strategy: str = "cleanup"
    max_rounds: int = 10

    def enabled(self, rule: type[Rule] | Entry) -> bool:
        """Selected and not ignored; a catalogue entry answers the same as its class."""
        from .rules.base import matches

        chosen = any(matches(rule, s) for s in self.select) if self.select else rule.default_enabled
        return chosen and not any(matches(rule, s) for s in self.ignore)

    def merged(self, **overrides: Any) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def find_config(start: Path) -> Path | None:
    """The nearest config file at or above ``start`` (a file's directory); pyproject only with [tool.dockopt]."""
    directory = start if start.is_dir() else start.parent
    for folder in (directory.resolve(), *directory.resolve().parents):
        for name in CONFIG_NAMES:
            candidate = folder / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_dockopt_table(candidate)):
                return candidate
    return None


def _has_dockopt_table(path: Path) -> bool:
    try:
        return "[tool.dockopt" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def load_config(path: Path) -> Settings:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("dockopt", {})
    known = {"select", "ignore", "unsafe-fixes", "cache-strategy"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown option(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    settings = Settings()
    for key in ("select", "ignore"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: '{key}' must be a list of rule codes or names")
        settings = replace(settings, **{key: tuple(value)})
    unsafe = data.get("unsafe-fixes", False)
    if not isinstance(unsafe, bool):
        raise ConfigError(f"{path}: 'unsafe-fixes' must be true or false")
    strategy = data.get("cache-strategy", "cleanup")
    if strategy not in CACHE_STRATEGIES:
        raise ConfigError(f"{path}: 'cache-strategy' must be one of {', '.join(CACHE_STRATEGIES)}")
    return replace(settings, unsafe_fixes=unsafe, cache_strategy=strategy)
