"""Thin RQ jobs: each takes record ids, calls ``clipper`` and records the outcome in the database.

The queue names the functions by these dotted paths (see ``workers.queues``).
"""

from workers.jobs.ingest import ingest_recording
from workers.jobs.render import render_clip
from workers.jobs.transcribe import transcribe_recording

__all__ = ["ingest_recording", "transcribe_recording", "render_clip"]
