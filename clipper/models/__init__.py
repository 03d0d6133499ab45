"""Database models (SQLAlchemy 2). Migrations live in ``clipper/migrations``."""

from clipper.models.base import Base, utcnow
from clipper.models.branding import Branding
from clipper.models.channel import CHANNEL_KINDS, POST_STATUSES, Channel, Post
from clipper.models.clip import CLIP_STATUSES, PRESETS, RENDER_STATUSES, Clip, Render
from clipper.models.event import Event
from clipper.models.glossary import GlossaryTerm
from clipper.models.live import Alert, AlertHit, LiveSegment, LiveSource
from clipper.models.people import LoginAttempt, Person, SavedSearch
from clipper.models.publication import COUNT_KINDS, Publication, PublicCount
from clipper.models.recording import RECORDING_STATUSES, Recording, Segment, Word
from clipper.models.speaker import RecordingSpeaker, Voice
from clipper.models.upload import Upload
from clipper.models.user import ROLES, ApiToken, User

__all__ = [
    "Base", "utcnow", "User", "ApiToken", "ROLES", "Recording", "Segment", "Word", "RECORDING_STATUSES",
    "Clip", "Render", "CLIP_STATUSES", "RENDER_STATUSES", "PRESETS", "Channel", "Post", "POST_STATUSES", "CHANNEL_KINDS",
    "Event", "Upload", "GlossaryTerm",
    "Person", "SavedSearch", "LoginAttempt", "Branding", "LiveSource", "LiveSegment", "Alert", "AlertHit",
    "RecordingSpeaker", "Voice",
    "Publication", "PublicCount", "COUNT_KINDS",
]
