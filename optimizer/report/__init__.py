"""Output formats: the unified diff (``diff.py``, the ``full`` format's), and the reports for CI and
reviews, each in its own module, imported only when that format is asked for."""

from __future__ import annotations

# --output-format values: "full" is the diff/summary output; the others render a report.Report.
FORMATS = ("full", "concise", "json", "sarif", "github", "gitlab", "rdjson", "markdown")
_RENDERERS = {
    "concise": ("text", "render"),
    "json": ("jsonlike", "render_json"),
    "sarif": ("sarif", "render"),
    "github": ("github", "render"),
    "gitlab": ("jsonlike", "render_gitlab"),
    "rdjson": ("jsonlike", "render_rdjson"),
    "markdown": ("markdown", "render"),
}


def render(fmt: str, report) -> str:
    """The report in format ``fmt`` (any of FORMATS but "full")."""
    from importlib import import_module

    module, function = _RENDERERS[fmt]
    return getattr(import_module(f"{__name__}.{module}"), function)(report)
