"""DO6xx: what the build context sends (``.dockerignore`` for secrets and junk)."""
