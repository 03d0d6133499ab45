"""Recording records: creating them, moving them through their states, storing transcripts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.orm import Session

from clipper.errors import InvalidInput, NotFound
from clipper.models import Recording, Segment, Word
from clipper.plaintext import check_plain
from clipper.transcript import Transcript

SOURCES = ("upload", "url", "live")
MAX_TITLE = 500


def create_recording(session: Session, *, title: str, source: str = "upload", source_url: str = "",
                     channel: str = "", created_by_id: int | None = None,
                     aired_at: datetime | None = None) -> Recording:
    if source not in SOURCES:
        raise InvalidInput(f"Unknown source {source!r}: use upload, url or live.")
    title = check_title(title)
    check_plain(channel, "channel")
    recording = Recording(title=title or "Untitled recording", source=source, source_url=source_url,
                          channel=channel.strip()[:200], status="queued", created_by_id=created_by_id,
                          aired_at=aired_at)
    session.add(recording)
    session.flush()
    return recording


def check_title(title: str | None) -> str:
    """A recording's title as stored, or ``InvalidInput`` (checked before an upload starts, too)."""
    title = check_plain(title or "", "title").strip()
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"The title is too long ({len(title)} characters): keep it under {MAX_TITLE} characters.")
    return title

AIR_DATE_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def parse_air_date(value: object, timezone: str, *, now: datetime | None = None) -> datetime | None:
    """When a recording went out, typed in the team's time zone; returned as naive UTC (how times are stored).

    Empty means "not known". A date more than a day ahead is refused: a recording cannot air in the future.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise InvalidInput("The air date must be text like 2026-05-01T18:30.")
    text = value.strip().rstrip("Z")
    for fmt in AIR_DATE_FORMATS:
        try:
            local = datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    else:
        raise InvalidInput(f"The air date {value[:40]!r} is not a date and time: use the form 2026-05-01T18:30 "
                           f"({timezone} time).")
    aired = local.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC).replace(tzinfo=None)
    now = now or datetime.now(UTC).replace(tzinfo=None)
    if aired > now + timedelta(days=1):
        raise InvalidInput("The air date is in the future: give the date and time the recording was broadcast.")
    if aired.year < 1900:
        raise InvalidInput("The air date is too far in the past: check the year.")
    return aired


def update_details(recording: Recording, *, title: object, channel: object, programme: object,
                   aired_at: datetime | None) -> Recording:
    """A recording's title, channel, programme and air date, as someone corrected them."""
    fields = {"title": (title, 500), "channel": (channel, 200), "programme": (programme, 200)}
    clean: dict[str, str] = {}
    for name, (value, limit) in fields.items():
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"The {name} must be text.")
        text = " ".join(check_plain(value or "", name).split())
        if len(text) > limit:
            raise InvalidInput(f"The {name} is too long: keep it under {limit} characters.")
        clean[name] = text
    recording.title = clean["title"] or "Untitled recording"
    recording.channel, recording.programme, recording.aired_at = clean["channel"], clean["programme"], aired_at
    return recording


def object_prefixes(recording: Recording, clip_ids: list[int]) -> list[str]:
    """Every storage prefix that holds something of this recording or its clips (deleted with it)."""
    return [f"recordings/{recording.id}/", *(f"clips/{c}/" for c in clip_ids), *(f"previews/{c}/" for c in clip_ids)]


def delete_recording(session: Session, recording: Recording) -> None:
    """Delete the row; the database's cascades take its segments, words, clips, renders and posts with it
    (one statement, not one per word: a 3-hour transcript has ~30,000)."""
    session.execute(delete(Recording).where(Recording.id == recording.id).execution_options(synchronize_session=False))
    session.expunge(recording)


def get_recording(session: Session, recording_id: int) -> Recording:
    recording = session.get(Recording, recording_id)
    if recording is None:
        raise NotFound(f"Recording {recording_id} does not exist.")
    return recording


def original_key(recording_id: int, ext: str) -> str:
    return f"recordings/{recording_id}/original.{ext}"


def upload_pieces_prefix(upload_id: str) -> str:
    """Where the pieces of a resumable upload wait (one per request), until ingest joins them."""
    return f"uploads/{upload_id}/"


def upload_piece_key(upload_id: str, offset: int) -> str:
    return f"{upload_pieces_prefix(upload_id)}{offset:015d}"  # zero-padded: keys sort in byte order


def upload_key(recording_id: int) -> str:
    """Where an upload waits, unprobed and private, until the ingest job has checked it."""
    return f"recordings/{recording_id}/upload"


def save_transcript(session: Session, recording: Recording, transcript: Transcript) -> int:
    """Replace the recording's segments and words with ``transcript``'s; returns the word count."""
    session.execute(delete(Word).where(Word.recording_id == recording.id))
    session.execute(delete(Segment).where(Segment.recording_id == recording.id))
    session.flush()
    count = 0
    for i, seg in enumerate(transcript.segments):
        segment = Segment(recording_id=recording.id, idx=i, start=seg.start, end=seg.end, text=seg.text,
                          speaker=seg.speaker, speaker_label=seg.speaker)
        session.add(segment)
        session.flush()
        session.add_all(
            Word(recording_id=recording.id, segment_id=segment.id, idx=count + j, start=w.start, end=w.end,
                 text=w.text, probability=w.probability, pieces=[list(p) for p in w.pieces] or None)
            for j, w in enumerate(seg.words)
        )
        count += len(seg.words)
    recording.language = transcript.language
    return count
