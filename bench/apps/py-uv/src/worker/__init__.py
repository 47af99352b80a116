"""Feed digest worker."""
