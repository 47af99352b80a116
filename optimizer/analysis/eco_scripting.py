"""Ruby (bundler) and PHP (composer): the files ``bundle install``/``composer install`` read.

Why the extra checks: a Gemfile with ``gemspec`` installs the gem in the current directory,
which needs its .gemspec and whatever that file loads (typically ``lib/<gem>/version.rb``);
``path:`` gems and ``eval_gemfile`` read other files. Composer runs ``scripts`` hooks on install,
``path`` repositories point at local source, and an autoload ``classmap`` scans source
directories when the autoloader is dumped (``--no-autoloader`` defers that).
"""

from __future__ import annotations

import re

from ._detect import Collector, Manifests, join
from .context import BuildContext

__all__ = ["detect_bundler", "detect_composer"]

_COMPOSER_HOOKS = (
    "pre-install-cmd",
    "post-install-cmd",
    "pre-autoload-dump",
    "post-autoload-dump",
    "post-root-package-install",
    "post-create-project-cmd",
)


def detect_bundler(context: BuildContext, directory: str) -> Manifests | None:
    c = Collector(context, directory, "bundler")
    for gemfile, lock in (("Gemfile", "Gemfile.lock"), ("gems.rb", "gems.locked")):  # noqa: B007 - used after the loop
        if c.has(c.path(gemfile)):
            break
    else:
        return None
    gemfile = c.path(gemfile)
    c.add(gemfile)
    if c.add(c.path(lock)):
        c.result.lockfile = c.path(lock)
    c.add(c.path(".bundle/config"))
    text = re.sub(r"(?m)#.*$", "", c.text(gemfile) or "")
    if re.search(r"(?m)^\s*gemspec\b", text):
        for name in c.names():
            if name.endswith(".gemspec"):
                c.add(c.path(name))
        c.reason(f"{gemfile} uses gemspec: the gem's own files (lib/…/version.rb) are loaded")
    if re.search(r"\bpath\s*(:|=>)|^\s*path\s*\(?\s*['\"]", text, re.MULTILINE):
        c.reason(f"{gemfile} has gems from local paths (path:)")
    for included in re.findall(r"""\beval_gemfile\s*\(?\s*["']([^"']+)["']""", text):
        rel = join(c.directory, included)
        if not c.add(rel):
            c.reason(f"{gemfile} evaluates {included}, which is not available")
    for name in (".ruby-version", ".tool-versions"):
        if name in text:
            c.add(c.path(name))
    return c.result


def detect_composer(context: BuildContext, directory: str) -> Manifests | None:
    c = Collector(context, directory, "composer")
    manifest = c.path("composer.json")
    if not c.has(manifest):
        return None
    c.add(manifest)
    if c.add(c.path("composer.lock")):
        c.result.lockfile = c.path("composer.lock")
    data = c.json(manifest)
    if not isinstance(data, dict):
        return c.result
    repositories = data.get("repositories")
    items = repositories.values() if isinstance(repositories, dict) else repositories or []
    for repo in items:
        if isinstance(repo, dict) and repo.get("type") == "path":
            c.reason(f"{manifest}: path repository {repo.get('url')!r} is local source")
    scripts = data.get("scripts")
    if isinstance(scripts, dict):
        for hook in _COMPOSER_HOOKS:
            if scripts.get(hook):
                c.reason(f"{manifest} runs the {hook!r} script during install (use --no-scripts)")
    autoload = data.get("autoload")
    if isinstance(autoload, dict):
        c.result.details["autoload"] = sorted(autoload)
        if autoload.get("classmap"):
            c.reason(f"{manifest}: the autoload classmap scans source directories (use --no-autoloader)")
    return c.result
