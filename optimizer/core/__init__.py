"""The bottom layer: the vocabulary every other package speaks, depending on none of them.

- ``findings``: applicability, edits, fixes and findings (what a rule returns);
- ``selectors``: how ``--select``/``--ignore``/pragmas name rules (codes, prefixes, names, ``ALL``);
- ``config``: ``Settings`` and the one resolver that finds and reads configuration for a path
  (used by the CLI, ``verify``, the language server and the bot).

Only the standard library is imported here.
"""
