"""The engine: selects fixes by safety and settings, applies them, re-parses, loops to a fixpoint."""

from .runner import InternalError, Outcome, check, findings, fix_text, selected_rules

__all__ = ["InternalError", "Outcome", "check", "findings", "fix_text", "selected_rules"]
