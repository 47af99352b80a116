"""The editor's settings and the per-document settings they resolve to.

An editor passes settings as ``initializationOptions`` and/or answers ``workspace/configuration``
for the section ``dockopt``; both take the same keys (camelCase or the config file's kebab-case):

    {"select": ["DO1"], "ignore": ["add-to-copy"], "unsafeFixes": true,
     "cacheStrategy": "mounts", "context": "path/to/context", "docsUrl": "https://…/{code}"}

They are overrides on top of the configuration file found for each document, exactly as the
command line's options are for ``dockopt`` (``core.config.SettingsResolver``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.config import CacheStrategy, ConfigError, Overrides, Settings, SettingsResolver, choices

KEYS = {
    "select": "select",
    "ignore": "ignore",
    "unsafeFixes": "unsafe_fixes",
    "unsafe-fixes": "unsafe_fixes",
    "unsafe_fixes": "unsafe_fixes",
    "cacheStrategy": "cache_strategy",
    "cache-strategy": "cache_strategy",
    "cache_strategy": "cache_strategy",
    "context": "context",
    "docsUrl": "docs_url",
    "docs-url": "docs_url",
    "docs_url": "docs_url",
}


@dataclass(frozen=True)
class EditorSettings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None
    cache_strategy: CacheStrategy | None = None
    context: str | None = None  # build context; relative paths are taken from the workspace root
    docs_url: str | None = None  # a template with {code} and {name}; default: the rule's source file
    problems: tuple[str, ...] = field(default=(), compare=False)  # what was ignored, and why

    @classmethod
    def parse(cls, raw: Any) -> EditorSettings:
        """Read an editor's settings object; bad values are left out and named in ``problems``."""
        if isinstance(raw, dict) and isinstance(raw.get("dockopt"), dict):
            raw = raw["dockopt"]
        if not isinstance(raw, dict):
            return cls()
        values: dict[str, Any] = {}
        problems: list[str] = []
        for key, value in raw.items():
            name = KEYS.get(key)
            if name is None:
                problems.append(
                    f"unknown setting '{key}' (known: {', '.join(sorted(set(KEYS) - {'dockopt'}))})"
                )
                continue
            try:
                values[name] = _value(name, value)
            except ConfigError as exc:
                problems.append(f"setting '{key}': {exc}")
        return cls(**values, problems=tuple(problems))

    def overrides(self) -> Overrides:
        return Overrides(
            select=self.select,
            ignore=self.ignore,
            unsafe_fixes=self.unsafe_fixes,
            cache_strategy=self.cache_strategy,
        )


def _value(name: str, value: Any) -> Any:
    if value is None:
        return () if name in ("select", "ignore") else None
    if name in ("select", "ignore"):
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError("must be a list of rule codes or names")
        return tuple(v.strip() for v in value if v.strip())
    if name == "unsafe_fixes":
        if not isinstance(value, bool):
            raise ConfigError("must be true or false")
        return value
    if name == "cache_strategy":
        try:
            return CacheStrategy(value)
        except ValueError:
            raise ConfigError(f"must be one of {choices(CacheStrategy)}") from None
    if not isinstance(value, str):
        raise ConfigError("must be a string")
    return value


class DocumentSettings:
    """Settings per document path: config discovery (one resolver, cached per directory) plus the
    editor's overrides; ``reload`` after a config file or the editor's settings changed."""

    def __init__(self, editor: EditorSettings = EditorSettings(), root: Path | None = None) -> None:
        from ..rules.catalogue import known_selector

        self.editor = editor
        self.root = root
        self.problem: str | None = None  # the editor's overrides were unusable (named here)
        try:
            self.resolver = SettingsResolver(editor.overrides(), known_selector)
        except ConfigError as exc:
            self.problem = f"editor settings ignored: {exc}"
            self.resolver = SettingsResolver(Overrides(), known_selector)

    def for_path(self, path: Path | None) -> Settings:
        """The settings for a document (None: not a file, so no config file applies).
        Raises ConfigError for a broken config file."""
        if path is None:
            return self.resolver.overrides.apply(Settings())
        return self.resolver.for_directory(path.parent)

    def context_dir(self, path: Path | None) -> Path | None:
        if self.editor.context:
            context = Path(self.editor.context).expanduser()
            if not context.is_absolute() and self.root is not None:
                context = self.root / context
            return context
        return path.parent if path is not None else None

    def forget(self) -> None:
        """A config file changed: read config files again."""
        self.resolver.forget()
