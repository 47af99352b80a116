"""DO1xx: how instructions are written (keyword case, ADD where COPY is meant)."""
