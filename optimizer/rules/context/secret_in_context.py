"""DO601 secret-in-context: a COPY of a directory would put secret-looking files in the image.

## What it does
Looks at the build context for files that look like secrets and that a ``COPY``/``ADD`` of a
directory (``COPY . .``, ``COPY deploy/ /srv``) would copy into the image:

- dotenv files: ``.env``, ``.env.local``, ``.env.production``… (not ``.env.example``,
  ``.env.sample``, ``.env.template``, ``.env.dist``);
- private keys: ``id_rsa``, ``id_dsa``, ``id_ecdsa``, ``id_ed25519`` by name; ``*.pem``, ``*.key``
  and extension-less files only when they hold a ``-----BEGIN … PRIVATE KEY-----`` block;
  ``*.p12``/``*.pfx`` key stores by name;
- tool credentials, only when they hold a token or password (a ``${NPM_TOKEN}`` reference is not
  one): ``.npmrc``, ``.pypirc``, ``.netrc``, ``.git-credentials``, ``.docker/config.json``;
- cloud credentials: ``.aws/credentials``, a gcloud service-account JSON (``"private_key"``), an
  ``.azure/`` folder.

Each finding names the file — never its content — and adds it to the ``.dockerignore`` the build
reads (or creates one: see the README, "Fixes that edit a second file").

## Why
Every file of a ``COPY . .`` lands in a layer of the image, and layers are forever: whoever can
pull the image can read the key, even when a later ``RUN rm`` hides it. Build caches and CI
artifacts keep a copy too. Files named explicitly (``COPY .env.production .``) are left alone:
that is a decision, not an accident.

## Example
A context with ``.env`` and ``deploy/id_rsa``:
```dockerfile
COPY . /app
```
The fix leaves the Dockerfile as it is and appends to ``.dockerignore``:
```
# added by dockopt (DO601): files the build does not read (see `dockopt explain DO601`)
.env
deploy/id_rsa
```

## Fix safety
- **Safe** for SSH keys and tool or cloud credentials when no build step reads them: no RUN after
  the COPY uses them (the file-effects model, plus what the tools read: npm reads ``.npmrc``, twine
  ``.pypirc``, git and curl ``~/.netrc``), no ``RUN --mount=type=bind`` of the context covers them,
  and no instruction names them.
- **Unsafe** for dotenv files and TLS-style keys (``*.pem``, ``*.key``, ``*.p12``, service-account
  JSON): the program the image runs may load them at start (dotenv libraries read ``.env``,
  servers read their key). Check, then pass them at run time (``--env-file``, a mounted secret).
  Also unsafe when a later RUN runs a program dockopt cannot see into.
- **Display-only** when a build step needs the file — e.g. ``npm ci`` with an ``.npmrc`` holding a
  token. The message shows the shape of the fix: ignore the file and mount it as a build secret,
  ``RUN --mount=type=secret,id=npmrc,target=/app/.npmrc npm ci``, built with
  ``docker build --secret id=npmrc,src=.npmrc``. It is not applied because the build command must
  change too: without ``--secret`` the mount is empty and the install runs unauthenticated.

## References
- Docker docs, build secrets: https://docs.docker.com/build/building/secrets/
- Docker docs, .dockerignore: https://docs.docker.com/build/concepts/context/#dockerignore-files
- BuildKit check SecretsUsedInArgOrEnv (the same concern for ARG/ENV):
  https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..base import Applicability, Facts, Finding, Phase, Rule, register
from ..triggers import has_instruction
from ._context import BUILD_CACHES, ContextView, Shipment, choose, display

_KEY_BLOCK = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
_ENV_TEMPLATES = frozenset({"example", "sample", "template", "dist", "defaults", "tmpl", "tpl"})
_SSH_KEYS = frozenset({"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"})
_VARIABLE = re.compile(r"^\s*[\"']?\$\{?[A-Za-z_]")
_MAX_SCAN = 256 * 1024
_NOT_SCANNED = frozenset({"node_modules", ".git", ".hg", ".svn", "site-packages", "vendor"})


@dataclass(frozen=True)
class Secret:
    path: str
    what: str
    runtime: bool  # the image's program may load it at start (dotenv, TLS keys): the fix is unsafe
    is_dir: bool = False


def _credentials(text: str, name: str) -> bool:
    """Does a tool's config file hold a literal token or password (not a ${VAR} reference)?"""
    lines = text.splitlines()
    if name == ".npmrc":
        keys = ("_authtoken", "_auth", "_password", "password")
        for line in lines:
            key, _, value = line.partition("=")
            if (
                any(key.strip().lower().endswith(k) for k in keys)
                and value.strip()
                and not _VARIABLE.match(value)
            ):
                return True
        return False
    if name in (".pypirc", ".netrc"):
        for line in lines:
            words = line.replace("=", " ").replace(":", " ").split()
            for i, word in enumerate(words[:-1]):
                if word.lower() == "password" and not _VARIABLE.match(words[i + 1]):
                    return True
        return False
    if name == ".git-credentials":
        return any(re.search(r"://[^/\s:@]+:[^@\s]+@", line) for line in lines)
    if name == "config.json":
        return bool(re.search(r"\"(auth|identitytoken|registrytoken)\"\s*:\s*\"[^\"]+\"", text))
    if name == "credentials":
        return "aws_secret_access_key" in text.lower()
    return False


def find_secrets(view: ContextView) -> list[Secret]:
    """Secret-looking sent entries of the build context (content is read, never reported)."""
    found: list[Secret] = []
    covered: set[str] = set()
    for path, is_dir in view.entries.items():
        if any(path.startswith(c + "/") for c in covered):
            continue
        name = posixpath.basename(path)
        if is_dir and name in _NOT_SCANNED:
            covered.add(path)  # installed packages and VCS internals: not the project's own secrets
            continue
        parent = posixpath.basename(posixpath.dirname(path))
        if is_dir:
            if name == ".azure":
                found.append(Secret(path, "Azure CLI credentials", runtime=False, is_dir=True))
                covered.add(path)
            continue
        lower = name.lower()
        if lower == ".env" or lower.startswith(".env.") or lower == ".envrc":
            suffix = lower.rpartition(".")[2]
            if suffix not in _ENV_TEMPLATES:
                found.append(Secret(path, "a dotenv file", runtime=True))
            continue
        if lower in _SSH_KEYS:
            found.append(Secret(path, "an SSH private key", runtime=False))
            continue
        if lower.endswith((".p12", ".pfx")):
            found.append(Secret(path, "a PKCS#12 key store", runtime=True))
            continue
        if lower in (".npmrc", ".pypirc", ".netrc", ".git-credentials") or (
            (lower, parent) in (("config.json", ".docker"), ("credentials", ".aws"))
        ):
            text = view.context.read_text(path, _MAX_SCAN)
            if text is not None and _credentials(text, lower):
                label = "AWS credentials" if lower == "credentials" else f"a {name} with credentials"
                if lower == "config.json":
                    label = "a Docker config.json with registry credentials"
                found.append(Secret(path, label, runtime=False))
            continue
        ext = posixpath.splitext(lower)[1]
        if ext in (".pem", ".key", ".priv", ".json") or ext == "":
            text = view.context.read_text(path, _MAX_SCAN)
            if text is None:
                continue
            if ext == ".json":
                if '"private_key"' in text and '"service_account"' in text:
                    found.append(Secret(path, "a Google service-account key", runtime=True))
            elif _KEY_BLOCK.search(text):
                found.append(Secret(path, "a private key", runtime=True))
    return found


# Which tools read which credential file (from the project directory or the user's home).
_TOOLS = {
    ".npmrc": (("node",), ()),
    ".pypirc": ((), ("twine",)),
    ".netrc": (("pip",), ("curl", "wget", "git")),
    ".git-credentials": ((), ("git",)),
    "config.json": ((), ("docker", "crane", "skopeo")),
    "credentials": ((), ("aws",)),
}


@register
class SecretInContext(Rule):
    code = "DO601"
    name = "secret-in-context"
    summary = "A COPY of a directory would put secret-looking files (.env, keys, tokens) in the image"
    safety = Applicability.SAFE
    safety_note = (
        "safe for SSH keys and tool credentials; unsafe for files the app may load (.env, TLS keys); "
        "display-only when a build step needs the file"
    )
    phase = Phase.CONTEXT
    trigger = has_instruction("COPY", "ADD")
    # The secrets leave the image wherever a COPY of the context put them.
    removes = (
        *(
            "/**/" + name
            for name in (
                ".env", ".env.*", ".envrc", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "*.pem", "*.key",
                "*.p12", "*.pfx", ".npmrc", ".pypirc", ".netrc", ".git-credentials", ".docker/config.json",
                ".aws/credentials", ".azure",
            )
        ),
        *BUILD_CACHES,
    )  # fmt: skip

    def check(self, ctx: Facts) -> Iterator[Finding]:
        view = ContextView.of(ctx)
        if view is None:
            return
        for secret in find_secrets(view):
            ship = view.shipped(secret.path)
            if ship is None:
                continue
            yield self._finding(view, secret, ship)

    def _finding(self, view: ContextView, secret: Secret, ship: Shipment) -> Finding:
        where = f"{ship.copy.keyword} at line {ship.copy.instruction.line}"
        shown = display(secret.path, secret.is_dir)
        head = f"{shown} ({secret.what}) would be copied into the image by the {where}"
        verdict = view.verdict(ship)
        name = posixpath.basename(secret.path)
        families, commands = _TOOLS.get(name, ((), ()))
        tool = None
        if (families or commands) and _where_read(view, ship, name):
            tool = view.tool_run(ship, families, commands)
        if tool is None:
            mention = view.mentions(ship, name)
            if mention is not None:
                verdict.used = verdict.used or f"the {mention.name} at line {mention.line} names it"
        if verdict.used or tool is not None:
            reason = verdict.used or f"the RUN at line {tool.line} uses it"  # type: ignore[union-attr]
            target = ship.image_path or f"<dest>/{secret.path}"
            shape = (
                f"RUN --mount=type=secret,id={_secret_id(name)},target={target} …, "
                f"built with --secret id={_secret_id(name)},src={secret.path}"
            )
            message = (
                f"{head}; {reason}, so it is not ignored automatically: add it to "
                f"{view.where()} and pass it as a build secret ({shape})"
            )
            return view.finding(self, ship, message, [], Applicability.DISPLAY_ONLY)
        lines = view.patterns_for([secret.path])
        if not lines:
            message = f"{head}; an exception in {view.where()} brings it back, so no entry is added"
            return view.finding(self, ship, message, [], Applicability.DISPLAY_ONLY)
        base = Applicability.UNSAFE if secret.runtime else Applicability.SAFE
        applicability = choose(verdict, base)
        message = f"{head}: add it to {view.where()}"
        if secret.runtime:
            message += "; the program the image runs may load it at start: pass it at run time instead"
        if verdict.doubt:
            message += f" ({verdict.doubt[0]})"
        return view.finding(self, ship, message, lines, applicability)


_IN_HOME = {
    ".pypirc": ".pypirc",
    ".netrc": ".netrc",
    ".git-credentials": ".git-credentials",
    "config.json": ".docker/config.json",
    "credentials": ".aws/credentials",
}


def _where_read(view: ContextView, ship: Shipment, name: str) -> bool:
    """Does the file land where its tool looks? npm reads a project's .npmrc (anywhere, to be safe);
    the others are read from the user's home only."""
    if name not in _IN_HOME:
        return True
    home = view.effects.home(ship.copy.instruction)
    if ship.image_path is None or home is None:
        return True
    return posixpath.normpath(ship.image_path) == posixpath.join(home, _IN_HOME[name])


def _secret_id(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower()) or "secret"
