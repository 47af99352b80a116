"""One immutable settings object (black's Mode) and the one resolver that finds it for a path.

Configuration comes from the nearest ``dockopt.toml``, ``.dockopt.toml`` or ``pyproject.toml``
(``[tool.dockopt]``) at or above the Dockerfile's folder, then from overrides (command-line options,
an editor's settings). ``SettingsResolver`` is what the CLI, ``dockopt verify``, the language server
and the bot use, so every front end reads configuration the same way.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from .selectors import Named, matches

CONFIG_NAMES = ("dockopt.toml", ".dockopt.toml", "pyproject.toml")
CONFIG_KEYS = ("select", "ignore", "unsafe-fixes", "cache-strategy", "exclude", "split-runtime", "smoke")


class CacheStrategy(enum.StrEnum):
    """Package caches: removed in the installing RUN, or kept out of the image in BuildKit cache
    mounts (and reused across builds). Never both."""

    CLEANUP = "cleanup"
    MOUNTS = "mounts"


class SplitRuntime(enum.StrEnum):
    """DO501's runtime stage: the slim twin of the builder's distribution, or (for a proven static
    binary with an exec-form command) a minimal distroless/static base."""

    TWIN = "twin"
    MINIMAL = "minimal"


class ConfigError(Exception):
    """A config file or option we cannot use; reported as ``path: message`` with exit code 2."""


class Selectable(Named, Protocol):
    @property
    def default_enabled(self) -> bool: ...


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()  # empty: the rules that are on by default
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    cache_strategy: CacheStrategy = CacheStrategy.CLEANUP
    max_rounds: int = 10
    split_runtime: SplitRuntime = SplitRuntime.TWIN
    # Files not to process, as absolute patterns anchored at the config file's folder (core/globs.py).
    exclude: tuple[str, ...] = ()
    # Shell commands run in both images by ``--verify`` / ``dockopt verify`` (``/bin/sh -c``); a
    # different exit status or output refuses a rewrite that changes the final image on purpose.
    smoke: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.cache_strategy, CacheStrategy):
            try:
                object.__setattr__(self, "cache_strategy", CacheStrategy(self.cache_strategy))
            except ValueError:
                raise ConfigError(f"cache strategy must be one of {choices(CacheStrategy)}") from None
        if not isinstance(self.split_runtime, SplitRuntime):
            try:
                object.__setattr__(self, "split_runtime", SplitRuntime(self.split_runtime))
            except ValueError:
                raise ConfigError(f"split runtime must be one of {choices(SplitRuntime)}") from None

    @property
    def mounts(self) -> bool:
        return self.cache_strategy is CacheStrategy.MOUNTS

    def enabled(self, rule: Selectable) -> bool:
        """Selected and not ignored."""
        chosen = any(matches(rule, s) for s in self.select) if self.select else rule.default_enabled
        return chosen and not any(matches(rule, s) for s in self.ignore)


def choices(enumeration: type[enum.Enum]) -> str:
    return ", ".join(str(member.value) for member in enumeration)


@dataclass(frozen=True)
class Overrides:
    """What a front end says on top of the config file; None (or empty) means "not given"."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None
    cache_strategy: CacheStrategy | None = None
    split_runtime: SplitRuntime | None = None

    def apply(self, settings: Settings) -> Settings:
        changes: dict[str, object] = {}
        if self.select:
            changes["select"] = tuple(self.select)
        if self.ignore:
            changes["ignore"] = tuple(self.ignore)
        if self.unsafe_fixes is not None:
            changes["unsafe_fixes"] = self.unsafe_fixes
        if self.cache_strategy is not None:
            changes["cache_strategy"] = CacheStrategy(self.cache_strategy)
        if self.split_runtime is not None:
            changes["split_runtime"] = SplitRuntime(self.split_runtime)
        return replace(settings, **changes)  # type: ignore[arg-type]


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
    unknown = sorted(set(data) - set(CONFIG_KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown option(s): {', '.join(unknown)} (known: {', '.join(sorted(CONFIG_KEYS))})"
        )
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("select", "ignore"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: '{key}' must be a list of rule codes or names")
        lists[key] = tuple(value)
    excludes = data.get("exclude", [])
    if not isinstance(excludes, list) or not all(isinstance(v, str) and v.strip() for v in excludes):
        raise ConfigError(f"{path}: 'exclude' must be a list of path patterns")
    smoke = data.get("smoke", [])
    if not isinstance(smoke, list) or not all(isinstance(v, str) and v.strip() for v in smoke):
        raise ConfigError(f"{path}: 'smoke' must be a list of shell commands")
    unsafe = data.get("unsafe-fixes", False)
    if not isinstance(unsafe, bool):
        raise ConfigError(f"{path}: 'unsafe-fixes' must be true or false")
    try:
        strategy = CacheStrategy(data.get("cache-strategy", CacheStrategy.CLEANUP.value))
    except ValueError:
        raise ConfigError(f"{path}: 'cache-strategy' must be one of {choices(CacheStrategy)}") from None
    try:
        split_runtime = SplitRuntime(data.get("split-runtime", SplitRuntime.TWIN.value))
    except ValueError:
        raise ConfigError(f"{path}: 'split-runtime' must be one of {choices(SplitRuntime)}") from None
    exclude: tuple[str, ...] = ()
    if excludes:
        from .globs import anchor

        base = path.parent.resolve()
        exclude = tuple(anchor(pattern, base) for pattern in excludes)
    return Settings(
        select=lists["select"],
        ignore=lists["ignore"],
        unsafe_fixes=unsafe,
        cache_strategy=strategy,
        exclude=exclude,
        split_runtime=split_runtime,
        smoke=tuple(smoke),
    )


class SettingsResolver:
    """The settings for each input: the nearest config file at or above it, then the overrides.

    Config files are found per directory (the way ruff and black find theirs), so one run over a
    repository honours a sub-project's own ``dockopt.toml``; each is read once, and a broken one is
    reported once (``problem``), however many files sit below it. ``known`` tells whether a
    selector names any rule (the catalogue lives above this layer, so it is passed in).
    """

    def __init__(
        self, overrides: Overrides = Overrides(), known: Callable[[str], bool] | None = None
    ) -> None:
        self.overrides = overrides
        self.known = known
        for selector in (*overrides.select, *overrides.ignore):
            if known is not None and not known(selector):
                raise ConfigError(f"error: unknown rule selector '{selector}' (see `dockopt rules`)")
        self._by_dir: dict[Path, Path | None] = {}
        self._by_config: dict[Path | None, Settings | ConfigError] = {}
        self._reported: set[str] = set()

    def for_path(self, path: Path | None) -> Settings:
        """Settings for a Dockerfile at ``path`` (None: the current directory, as for stdin)."""
        return self.for_directory(path.parent if path is not None else Path("."))

    def for_directory(self, directory: Path) -> Settings:
        """Settings for files in ``directory``; raises ConfigError for a broken config file."""
        if directory not in self._by_dir:
            self._by_dir[directory] = find_config(directory)
        config = self._by_dir[directory]
        if config not in self._by_config:
            self._by_config[config] = self._load(config)
        result = self._by_config[config]
        if isinstance(result, ConfigError):
            raise result
        return result

    __call__ = for_directory

    def forget(self, config: Path | None = None) -> None:
        """Drop what was read (one config file, or all): a watcher saw a config file change."""
        if config is None:
            self._by_dir.clear()
            self._by_config.clear()
        else:
            self._by_dir.clear()
            self._by_config.pop(config, None)

    def _load(self, config: Path | None) -> Settings | ConfigError:
        try:
            settings = load_config(config) if config else Settings()
        except ConfigError as exc:
            return exc
        if self.known is not None:
            for selector in (*settings.select, *settings.ignore):
                if not self.known(selector):
                    return ConfigError(f"{config}: unknown rule selector '{selector}' (see `dockopt rules`)")
        return self.overrides.apply(settings)

    def problem(self, exc: Exception) -> str | None:
        """The line to print for a config error, or None when it was printed already."""
        line = str(exc)
        if line in self._reported:
            return None
        self._reported.add(line)
        return line


def resolve_settings(
    path: Path | None, overrides: Overrides = Overrides(), known: Callable[[str], bool] | None = None
) -> Settings:
    """The settings for one Dockerfile (``path`` None: the current directory)."""
    return SettingsResolver(overrides, known).for_path(path)
