"""The rules, one subpackage per family, one module per rule, the family's helpers inside it.

- ``style`` (DO1xx), ``layers`` (DO2xx), ``packages`` (DO3xx), ``caching`` (DO4xx: COPY order),
  ``stages`` (DO5xx), ``context`` (DO6xx: the build context);
- ``base``: what a rule declares (``Rule``) and the registry; ``triggers``: cheap necessary conditions;
- ``catalogue``: generates ``_catalogue.py`` (what the engine selects from without importing rules)
  and the README's rule table from the declarations.

Importing a rule module registers its rule; ``all_rules()`` imports them all. Rules read facts from
``optimizer.analysis.facts.Facts`` and never import the engine or each other.
"""
