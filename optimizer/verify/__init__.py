"""``dockopt verify``: build the original and the rewritten Dockerfile for real and prove them equivalent.

Nothing is imported here so that loading one piece (say, ``snapshot`` in a test) does not pull in the
rest; use the modules directly: ``snapshot`` reads saved images, ``compare`` judges two of them,
``render`` reports the judgement and ``engine`` drives the user's Docker CLI.
"""
