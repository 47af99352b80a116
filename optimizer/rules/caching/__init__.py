"""DO4xx: instruction order for the build cache (copy manifests, install, then the source)."""
