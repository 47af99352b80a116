"""DO5xx: how a build is split into stages (a builder and a runtime twin)."""
