"""DO3xx: package-manager hygiene (cleanups or cache mounts, update with install, flags)."""
