"""Clipper's domain: media, speech, captions, renders and the records that hold them.

Nothing here imports Flask, RQ, Redis or boto3, and nothing reads the environment:
callers pass values in (see ``clipper.settings``).
"""

__version__ = "0.1.0"
