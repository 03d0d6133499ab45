"""Speakers of a recording: the voices found (``clipper.speech.speakers``), naming them, enrolling them.

Naming a voice once ("Speaker 1" is Jo Bloggs) names every turn of it in that recording: the segments'
shown speaker, which search's ``speaker`` filter and the clip's name strap read. Naming it after a
person from the People page also enrols the voice, so later recordings recognise that person.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clipper.errors import InvalidInput, NotFound
from clipper.models import Person, RecordingSpeaker, Segment, Voice
from clipper.speech.speakers import Voiceprint


def list_speakers(session: Session, recording_id: int) -> list[RecordingSpeaker]:
    return list(session.scalars(select(RecordingSpeaker).where(RecordingSpeaker.recording_id == recording_id)
                                .order_by(RecordingSpeaker.id)))


def known_voices(session: Session, recording_id: int) -> list[Voiceprint]:
    """The voices heard so far in the recording, then every enrolled voice of an active person."""
    heard = [Voiceprint(s.label, tuple(s.embedding), s.seconds, s.name, s.person_id)
             for s in list_speakers(session, recording_id)]
    present = {v.person_id for v in heard if v.person_id}
    rows = session.execute(select(Voice.embedding, Person.id, Person.name).join(Person, Person.id == Voice.person_id)
                           .where(Person.active.is_(True)).order_by(Voice.id))
    enrolled = [Voiceprint("", tuple(e), 0.0, name, pid) for e, pid, name in rows if pid not in present]
    return heard + enrolled


def save_voices(session: Session, recording_id: int, voices: list[Voiceprint]) -> dict[str, str]:
    """Store the recording's voices (new and updated); returns label -> name for the named ones."""
    rows = {s.label: s for s in list_speakers(session, recording_id)}
    for v in voices:
        if not v.label:
            continue  # an enrolled voice not heard in this recording
        row = rows.get(v.label)
        if row is None:
            row = RecordingSpeaker(recording_id=recording_id, label=v.label, name=v.name, person_id=v.person_id)
            session.add(row)
            rows[v.label] = row
        row.embedding, row.seconds = [round(float(x), 5) for x in v.embedding], v.seconds
    session.flush()
    return {label: row.name for label, row in rows.items() if row.name}


def name_speaker(session: Session, recording_id: int, label: str, *, name: str = "",
                 person_id: int | None = None) -> RecordingSpeaker:
    """Give the voice ``label`` a name (or a person's): every turn of it shows and is found by that name."""
    speaker = session.scalar(select(RecordingSpeaker).where(RecordingSpeaker.recording_id == recording_id,
                                                            RecordingSpeaker.label == label))
    if speaker is None:
        raise NotFound(f"This recording has no {label!r}.")
    person = None
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None or not person.active:
            raise InvalidInput("Pick someone from the People list.")
        name = person.name
    name = " ".join((name or "").split())
    if len(name) > 200:
        raise InvalidInput("Keep the speaker's name under 200 characters.")
    speaker.name, speaker.person_id = name, person.id if person else None
    session.execute(update(Segment).where(Segment.recording_id == recording_id, Segment.speaker_label == label)
                    .values(speaker=name or label))
    if person is not None and speaker.embedding:
        enrolled = session.scalar(select(Voice).where(Voice.person_id == person.id,
                                                      Voice.recording_id == recording_id))
        if enrolled is None:
            session.add(Voice(person_id=person.id, recording_id=recording_id, embedding=list(speaker.embedding)))
    session.flush()
    return speaker


def speaker_at(session: Session, recording_id: int, start: float, end: float) -> str:
    """The named speaker who says most between ``start`` and ``end`` ("" when no turn there is named)."""
    spans = session.execute(select(Segment.start, Segment.end, Segment.speaker, Segment.speaker_label)
                            .where(Segment.recording_id == recording_id, Segment.end > start, Segment.start < end))
    said: dict[str, float] = {}
    for s, e, speaker, label in spans:
        if speaker and speaker != label:
            said[speaker] = said.get(speaker, 0.0) + min(e, end) - max(s, start)
    return max(said, key=lambda k: said[k]) if said else ""
