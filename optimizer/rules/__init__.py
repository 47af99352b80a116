"""One module per rule. Importing a module registers its rule; ``all_rules()`` imports them all."""
