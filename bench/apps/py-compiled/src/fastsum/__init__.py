"""Sum of squares, computed by a C extension."""

from ._speedups import sum_squares

__all__ = ["sum_squares"]
