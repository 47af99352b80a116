"""``dockopt lsp``: a language server with diagnostics, quick fixes, fix-all and formatting.

Only ``dockopt lsp`` imports this package (pygls costs more than a cold ``dockopt --check``).
Over stdio, the protocol owns the process's real stdout: file descriptor 1 is pointed at stderr
before the server starts, so nothing printed by accident (ours or a library's, Python or C) can
corrupt the message stream.
"""

from __future__ import annotations

import logging
import os
import sys


def parse_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) → (host, port); ValueError when malformed."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, got {address!r}")
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


def serve(tcp: str | None = None, log_level: str = "warning") -> int:
    """Run the server on stdio (or listen on ``tcp``, HOST:PORT) until the client says exit.
    Returns the exit code: 0 after ``shutdown`` then ``exit``, 1 when the client went away first."""
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, log_level.upper(), logging.WARNING),
        format="dockopt lsp: %(message)s",
    )
    from .server import server

    if tcp is not None:
        host, port = parse_address(tcp)
        server.start_tcp(host, port)
        return 0 if server.protocol._shutdown else 1
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    server.start_io(sys.stdin.buffer, protocol_out)
    return 0 if server.protocol._shutdown else 1
