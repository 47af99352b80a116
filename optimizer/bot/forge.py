"""GitHub's REST API for ``dockopt pr``: find, open, update and close the one pull request.

The standard library's urllib is enough for the six calls we make (a JSON request, a JSON answer, a
few headers), so the bot adds no dependency and the CLI's cold start pays nothing: this module is
imported only by ``dockopt pr``. Every failure becomes a ForgeError with one line that says what to
do (a rejected token, missing permissions, an unknown repository, a rate limit and when it resets).
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

PUBLIC_API = "https://api.github.com"
API_VERSION = "2022-11-28"


class ForgeError(Exception):
    """An API call failed; the message is one line."""


@dataclass(frozen=True)
class PullRequest:
    number: int
    title: str
    body: str
    state: str
    base: str
    url: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PullRequest:
        return cls(
            number=int(data["number"]),
            title=str(data.get("title") or ""),
            body=str(data.get("body") or ""),
            state=str(data.get("state") or ""),
            base=str((data.get("base") or {}).get("ref") or ""),
            url=str(data.get("html_url") or ""),
        )


class Forge(Protocol):
    """What ``dockopt pr`` needs from a forge; GitHub is the one adapter so far. A GitLab or Gitea
    adapter implements these five calls (merge requests for pull requests) and nothing else."""

    calls: list[str]

    def default_branch(self) -> str: ...

    def pulls(self, branch: str, state: str) -> list[PullRequest]: ...

    def create_pull(self, title: str, body: str, head: str, base: str) -> PullRequest: ...

    def update_pull(self, number: int, **fields: str) -> PullRequest: ...

    def comment(self, number: int, body: str) -> None: ...


_REMOTE_PATTERNS = (
    re.compile(r"^[a-z][a-z0-9+.-]*://(?:[^@/]*@)?[^/]+/(?P<path>.+)$", re.IGNORECASE),  # https, ssh, git
    re.compile(r"^(?:[^@/]+@)?[^:/]+:(?P<path>[^/].*)$"),  # scp-like: git@github.com:owner/name.git
)


def repo_from_remote(url: str) -> tuple[str, str] | None:
    """(owner, name) from a remote URL, or None when the URL names no ``owner/name`` path."""
    for pattern in _REMOTE_PATTERNS:
        match = pattern.match(url.strip())
        if match:
            parts = match.group("path").strip("/").split("/")
            if len(parts) == 2 and all(parts):
                owner, name = parts
                name = name.removesuffix(".git")
                if owner and name:
                    return owner, name
            return None
    return None


def parse_repo(value: str) -> tuple[str, str] | None:
    owner, slash, name = value.partition("/")
    if not slash or not owner or not name or "/" in name:
        return None
    return owner, name


class GitHub:
    """The endpoints ``dockopt pr`` uses, and nothing else:

    ``GET /repos/{o}/{r}``, ``GET /repos/{o}/{r}/pulls``, ``POST /repos/{o}/{r}/pulls``,
    ``PATCH /repos/{o}/{r}/pulls/{n}`` and ``POST /repos/{o}/{r}/issues/{n}/comments``.
    """

    def __init__(
        self,
        api_url: str,
        token: str,
        owner: str,
        name: str,
        *,
        user_agent: str = "dockopt",
        timeout: float = 30.0,
        now=time.time,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.owner, self.name = owner, name
        self.user_agent = user_agent
        self.timeout = timeout
        self._now = now
        self.calls: list[str] = []  # "METHOD /path" of each request, for the run's summary

    @property
    def slug(self) -> str:
        return f"{self.owner}/{self.name}"

    def _path(self, tail: str = "") -> str:
        owner, name = (urllib.parse.quote(p, safe="") for p in (self.owner, self.name))
        return f"/repos/{owner}/{name}{tail}"

    def request(
        self, method: str, path: str, query: Mapping[str, str] | None = None, payload: Any = None
    ) -> Any:
        url = self.api_url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self.token}",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": self.user_agent,
        }
        if data is not None:
            headers["Content-Type"] = "application/json"
        self.calls.append(f"{method} {path}" + ("?" + urllib.parse.urlencode(query) if query else ""))
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise ForgeError(self._explain(method, path, exc)) from None
        except urllib.error.URLError as exc:
            raise ForgeError(f"cannot reach {self.api_url}: {exc.reason}") from None
        except (TimeoutError, OSError) as exc:
            raise ForgeError(f"cannot reach {self.api_url}: {exc}") from None
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise ForgeError(f"{method} {path}: the API answered with something that is not JSON") from None

    def _explain(self, method: str, path: str, exc: urllib.error.HTTPError) -> str:
        status, headers = exc.code, exc.headers
        try:
            detail = json.loads(exc.read() or b"{}")
        except (ValueError, OSError):
            detail = {}
        message = str(detail.get("message") or exc.reason or "").strip() if isinstance(detail, dict) else ""
        where = f"GitHub API {method} {path}: {status}"
        limited = self._rate_limit(status, headers, message)
        if limited:
            return f"{where}: {limited}"
        if status == 401:
            return f"{where}: the token was rejected (bad credentials); check GITHUB_TOKEN"
        if status == 403:
            return (
                f"{where}: the token may not do this ({message or 'forbidden'}); it needs "
                f"'contents: write' and 'pull-requests: write' on {self.slug}"
            )
        if status == 404:
            return (
                f"{where}: not found: no repository {self.slug}, or the token cannot see it "
                "(check --repo and the token's access)"
            )
        if status == 422:
            errors = detail.get("errors") if isinstance(detail, dict) else None
            reasons = []
            for item in errors or []:
                if isinstance(item, dict):
                    reasons.append(str(item.get("message") or item.get("code") or item))
                else:
                    reasons.append(str(item))
            extra = f" ({'; '.join(reasons)})" if reasons else ""
            return f"{where}: GitHub refused the request: {message or 'unprocessable'}{extra}"
        return f"{where}: {message or 'request failed'}"

    def _rate_limit(self, status: int, headers: Any, message: str) -> str | None:
        if status not in (403, 429):
            return None
        retry_after = headers.get("retry-after") if headers else None
        if retry_after and retry_after.strip().isdigit():
            return f"rate limited; GitHub asks to retry after {int(retry_after)} s. Nothing more was changed."
        remaining = headers.get("x-ratelimit-remaining") if headers else None
        reset = headers.get("x-ratelimit-reset") if headers else None
        if remaining == "0" and reset and reset.strip().isdigit():
            at = int(reset)
            wait = max(0, at - int(self._now()))
            when = time.strftime("%H:%M:%S UTC", time.gmtime(at))
            return f"API rate limit exhausted; it resets at {when} (in {wait} s). Nothing more was changed."
        if status == 429 or "rate limit" in message.lower():
            return (
                f"rate limited ({message or 'too many requests'}); try again later. Nothing more was changed."
            )
        return None

    # -- the endpoints ---------------------------------------------------------------------------

    def repository(self) -> Mapping[str, Any]:
        data = self.request("GET", self._path())
        if not isinstance(data, dict):
            raise ForgeError(f"GitHub API GET {self._path()}: unexpected answer")
        return data

    def default_branch(self) -> str:
        branch = self.repository().get("default_branch")
        if not branch:
            raise ForgeError(f"GitHub does not say the default branch of {self.slug}; pass --base BRANCH")
        return str(branch)

    def pulls(self, branch: str, state: str) -> list[PullRequest]:
        """Pull requests from ``branch`` of this repository in ``state`` (open or closed)."""
        query = {"state": state, "head": f"{self.owner}:{branch}", "per_page": "100"}
        data = self.request("GET", self._path("/pulls"), query)
        if not isinstance(data, list):
            raise ForgeError(f"GitHub API GET {self._path('/pulls')}: unexpected answer")
        return [PullRequest.from_json(item) for item in data]

    def create_pull(self, title: str, body: str, head: str, base: str) -> PullRequest:
        payload = {"title": title, "body": body, "head": head, "base": base}
        return PullRequest.from_json(self.request("POST", self._path("/pulls"), payload=payload))

    def update_pull(self, number: int, **fields: str) -> PullRequest:
        return PullRequest.from_json(self.request("PATCH", self._path(f"/pulls/{number}"), payload=fields))

    def comment(self, number: int, body: str) -> None:
        self.request("POST", self._path(f"/issues/{number}/comments"), payload={"body": body})
