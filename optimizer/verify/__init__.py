"""``dockopt verify``: build the original and the rewritten Dockerfile for real and prove them equivalent.

Nothing is imported here so that loading one piece (say, ``snapshot`` in a test) does not pull in the
rest; use the modules directly: ``snapshot`` reads saved images, ``compare`` judges two of them,
``render`` reports the judgement and ``engine`` drives the user's Docker CLI. On top of them,
``run.verify()`` is the whole command as a function (rewrite in memory, build, compare, time),
``measure`` schedules and times the builds, ``workspace`` keeps them in a temporary copy of the
context, ``report`` renders a ``VerifyReport`` (text, JSON, markdown) and ``command`` is the typer
command registered in ``optimizer/commands.py``.
"""
