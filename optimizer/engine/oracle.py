"""Re-parsing an output with BuildKit's own parser (the ``dockerfile`` package, Go code).

Imported lazily: only an output that differs from its input needs the check.
"""

from __future__ import annotations


def buildkit_error(text: str) -> str | None:
    """None when BuildKit parses ``text``; otherwise its error message."""
    import dockerfile

    try:
        dockerfile.parse_string(text)
    except dockerfile.GoParseError as exc:
        return str(exc)
    except UnicodeDecodeError:
        # The Go parser split a UTF-8 character somewhere (it scans some parts byte by byte), and
        # the binding cannot hand the result back: whatever BuildKit makes of it is not the text.
        return "BuildKit's reading of the file splits a UTF-8 character"
    return None
