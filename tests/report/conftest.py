"""The report tests run the real command too: the CLI tests' ``dockopt`` fixture, shared."""

from cli.conftest import dockopt  # noqa: F401 - a fixture, used by name
