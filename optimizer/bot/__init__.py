"""``dockopt pr``: the bot that keeps one branch with one commit and one pull request.

- ``git``: the git adapter (the real ``git`` binary; temporary checkout; push with a lease);
- ``forge``: GitHub's REST API over urllib;
- ``rewrite``: which Dockerfiles change (the engine run ``--write`` makes, optionally verified);
- ``body``: the pull request's title and markdown body;
- ``run``: the command itself; ``command``: its typer declaration.
"""
