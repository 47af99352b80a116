"""dockopt: rewrites Dockerfiles into better ones, losslessly."""

__version__ = "0.1.0"
