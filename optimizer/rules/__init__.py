"""One module per rule. Importing a module registers its rule; ``all_rules()`` imports them all.

The engine imports a rule only when it can fire, from the entries in ``catalogue.py``: a new rule
needs an entry there too (tests/test_catalogue.py fails until it has one, or if its trigger can
miss a finding).
"""
