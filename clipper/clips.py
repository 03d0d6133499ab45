"""Clips: validating in and out points and collecting the caption words they cover."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from clipper.errors import Conflict, InvalidInput, NotFound
from clipper.models import PRESETS, Clip, Recording, Word


def check_range(recording: Recording, start: float, end: float, max_seconds: float) -> None:
    if recording.status == "live":  # still on air: anything already transcribed can be clipped
        if end > recording.transcribed_until + 0.001:
            raise InvalidInput(f"The live transcript reaches {recording.transcribed_until:.1f} s so far; "
                               "mark a clip that ends before that, or wait a few seconds.")
    elif recording.status != "ready":
        raise InvalidInput("This recording is not ready yet: wait until its transcript is done, then mark the clip.")
    if start < 0:
        raise InvalidInput("The clip cannot start before the recording does (in point below 0 s).")
    if end <= start:
        raise InvalidInput(f"The clip's out point ({end:.2f} s) must be after its in point ({start:.2f} s).")
    if end > recording.duration + 0.001:
        raise InvalidInput(
            f"The clip ends at {end:.2f} s but the recording is only {recording.duration:.2f} s long."
        )
    if end - start > max_seconds:
        raise InvalidInput(f"The clip is {end - start:.0f} s long; the longest allowed is {max_seconds:.0f} s.")


def words_between(session: Session, recording_id: int, start: float, end: float) -> list[dict[str, object]]:
    """The transcript's words whose middle falls inside [start, end], with edits applied."""
    rows = session.scalars(
        select(Word).where(Word.recording_id == recording_id, Word.end > start, Word.start < end).order_by(Word.idx)
    )
    return [
        {"start": w.start, "end": w.end, "text": w.display}
        for w in rows if start <= (w.start + w.end) / 2 <= end
    ]


def create_clip(session: Session, recording: Recording, *, start: float, end: float, title: str = "",
                speaker: str = "", presets: list[str] | None = None, max_seconds: float = 600.0,
                created_by_id: int | None = None, tags: object = None, post_copy: str = "") -> Clip:
    start, end = _number(start, "start"), _number(end, "end")
    check_range(recording, start, end, max_seconds)
    title = (title or "").strip()
    if len(title) > 300:
        raise InvalidInput("The title is too long: keep it under 300 characters.")
    presets = list(presets or PRESETS)
    unknown = [p for p in presets if p not in PRESETS]
    if unknown:
        raise InvalidInput(f"Unknown preset {unknown[0]!r}: choose from {', '.join(PRESETS)}.")
    clip = Clip(recording_id=recording.id, start=round(start, 3), end=round(end, 3), title=title,
                speaker=_text(speaker, "speaker"), presets=presets, created_by_id=created_by_id,
                tags=clean_tags(tags or []), post_copy=_text(post_copy, "post_copy", strip=False),
                caption_words=words_between(session, recording.id, start, end))
    session.add(clip)
    session.flush()
    return clip


def get_clip(session: Session, clip_id: int) -> Clip:
    clip = session.get(Clip, clip_id)
    if clip is None:
        raise NotFound(f"Clip {clip_id} does not exist.")
    return clip


def _number(value: object, name: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(f"The clip's {name} must be a number of seconds, not {value!r}.") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise InvalidInput(f"The clip's {name} must be a number of seconds.")
    return number


# --- editing on the clipping desk: optimistic locking, caption fixes, submitting for review ---

EDITABLE_STATUSES = ("draft", "submitted", "rejected")
FIELD_LABELS = {"start": "in point", "end": "out point", "title": "title", "speaker": "speaker", "tags": "tags",
                "post_copy": "post copy", "caption_words": "caption words", "presets": "formats",
                "status": "status", "review_note": "reason"}
LIMITS = {"title": 300, "speaker": 200, "post_copy": 2000, "tag": 40, "tags": 20, "word": 100, "review_note": 1000}


class StaleEdit(Conflict):
    """Someone saved the clip after this editor loaded it; ``changes`` says what they changed."""

    def __init__(self, message: str, changes: list[dict[str, object]], current: Clip) -> None:
        super().__init__(message)
        self.changes = changes
        self.current = current


def update_clip(session: Session, clip: Clip, data: dict[str, object], *, version: object, max_seconds: float,
                user_id: int | None = None) -> Clip:
    """Apply a volunteer's edit if ``version`` is the clip's current version; otherwise raise ``StaleEdit``.

    In/out changes re-collect the caption words from the transcript and keep earlier fixes of words that
    are still inside; ``caption_words`` in ``data`` only changes texts (timings always come from the
    transcript, so a fix never shifts a caption).
    """
    if clip.status not in EDITABLE_STATUSES:
        raise Conflict(f"This clip is {clip.status}; it can no longer be changed. Mark a new clip instead.")
    if _int(version, "version") != clip.version:
        raise StaleEdit(_stale_message(session, clip, _int(version, "version")),
                        changes_since(session, clip, _int(version, "version")), clip)
    before = _snapshot(clip)
    start = _number(data.get("start", clip.start), "start")
    end = _number(data.get("end", clip.end), "end")
    if (round(start, 3), round(end, 3)) != (clip.start, clip.end):
        check_range(clip.recording, start, end, max_seconds)
        clip.start, clip.end = round(start, 3), round(end, 3)
        old = {_key(w): w["text"] for w in clip.caption_words}
        words = words_between(session, clip.recording_id, clip.start, clip.end)
        clip.caption_words = [{**w, "text": old.get(_key(w), w["text"])} for w in words]
    if "title" in data:
        clip.title = _text(data["title"], "title")
    if "speaker" in data:
        clip.speaker = _text(data["speaker"], "speaker")
    if "post_copy" in data:
        clip.post_copy = _text(data["post_copy"], "post_copy", strip=False)
    if "tags" in data:
        clip.tags = clean_tags(data["tags"])
    if "presets" in data:
        clip.presets = _presets(data["presets"])
    recollected = [w["text"] for w in clip.caption_words]
    if "caption_words" in data:
        clip.caption_words = fix_caption_words(clip.caption_words, data["caption_words"])
    changed = {k: [before[k], v] for k, v in _snapshot(clip).items() if v != before[k]}
    if changed.get("caption_words", [None, recollected])[1] == recollected:
        changed.pop("caption_words", None)  # new words from a new range are not someone's fix
    if changed:
        _record(session, clip, "clip.updated", changed, user_id)
    session.flush()
    return clip


def submit_clip(session: Session, clip: Clip, *, version: object, user_id: int | None = None) -> Clip:
    """draft (or rejected) -> submitted, for a social lead to review."""
    if _int(version, "version") != clip.version:
        raise StaleEdit(_stale_message(session, clip, _int(version, "version")),
                        changes_since(session, clip, _int(version, "version")), clip)
    if clip.status == "submitted":
        return clip
    if clip.status not in ("draft", "rejected"):
        raise Conflict(f"This clip is already {clip.status}.")
    if not clip.title.strip():
        raise InvalidInput("Give the clip a title before submitting it for review.")
    _record(session, clip, "clip.submitted", {"status": [clip.status, "submitted"]}, user_id)
    clip.status = "submitted"
    session.flush()
    return clip


def approve_clip(session: Session, clip: Clip, *, version: object, user_id: int | None = None) -> Clip:
    """submitted -> approved by a social lead; the caller queues the renders."""
    _check_review(session, clip, version)
    _record(session, clip, "clip.approved", {"status": [clip.status, "approved"]}, user_id)
    clip.status, clip.approved_by_id, clip.review_note = "approved", user_id, ""
    session.flush()
    return clip


def reject_clip(session: Session, clip: Clip, *, version: object, reason: object,
                user_id: int | None = None) -> Clip:
    """submitted -> rejected, with the reason the volunteer sees; they can adjust it and submit again."""
    note = _text(reason, "review_note")
    if not note:
        raise InvalidInput("Say why the clip is rejected, so the volunteer knows what to change.")
    _check_review(session, clip, version)
    _record(session, clip, "clip.rejected", {"status": [clip.status, "rejected"]}, user_id)
    clip.status, clip.review_note = "rejected", note
    session.flush()
    return clip


def _check_review(session: Session, clip: Clip, version: object) -> None:
    if _int(version, "version") != clip.version:
        raise StaleEdit(_stale_message(session, clip, _int(version, "version")),
                        changes_since(session, clip, _int(version, "version")), clip)
    if clip.status != "submitted":
        raise Conflict(f"Only submitted clips are reviewed; this one is {clip.status}.")


DELETABLE_STATUSES = ("draft", "rejected")  # never sent for review, or sent back: nobody else relies on it


def delete_clip(session: Session, clip: Clip, *, user_id: int | None = None) -> None:
    """Delete a draft (or rejected) clip and its render rows, recorded in the event log; the caller commits
    and then removes its stored objects."""
    from clipper import events

    if clip.status not in DELETABLE_STATUSES:
        raise Conflict(f"This clip is {clip.status}; only draft or rejected clips can be deleted.")
    events.record(session, "clip.deleted", clip, user_id=user_id, title=clip.title, recording_id=clip.recording_id,
                  start=clip.start, end=clip.end)
    session.delete(clip)
    session.flush()


def fix_caption_words(current: list[dict[str, object]], fixes: object) -> list[dict[str, object]]:
    """New texts for the clip's caption words; timings are kept.

    ``fixes`` is either one text per caption word, or ``[{"start", "text"}]`` matched to the words by their
    start time; a fix for a word that is no longer inside the clip is dropped with the word.
    """
    if not isinstance(fixes, list):
        raise InvalidInput("Send the caption words as a list.")
    if all(isinstance(f, str) for f in fixes):
        if len(fixes) != len(current):
            raise InvalidInput("The caption words do not match the clip any more: reload the page and fix them again.")
        texts = {_key(w): f for w, f in zip(current, fixes, strict=True)}
    else:
        texts = {}
        for fix in fixes:
            if not isinstance(fix, dict) or "start" not in fix or "text" not in fix:
                raise InvalidInput("Each caption word needs its start time and its text.")
            texts[_key({"start": _number(fix["start"], "caption word start")})] = fix["text"]
    out = []
    for word in current:
        text = texts.get(_key(word), word["text"])
        at = f"{float(word['start']):.2f} s"  # type: ignore[arg-type]
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput(f"A caption word cannot be empty (the word at {at}).")
        text = " ".join(text.split())
        if len(text) > LIMITS["word"]:
            raise InvalidInput(f"A caption word is too long (the word at {at}): keep it under {LIMITS['word']} characters.")
        out.append({**word, "text": text})
    return out


def clean_tags(value: object) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise InvalidInput("Tags must be a list of words or a comma-separated text.")
    tags: list[str] = []
    for item in items:
        tag = " ".join(str(item).split())
        if len(tag) > LIMITS["tag"]:
            raise InvalidInput(f"The tag {tag[:20]!r}… is too long: keep tags under {LIMITS['tag']} characters.")
        if tag and tag.lower() not in (t.lower() for t in tags):
            tags.append(tag)
    if len(tags) > LIMITS["tags"]:
        raise InvalidInput(f"Too many tags: {LIMITS['tags']} at most.")
    return tags


def changes_since(session: Session, clip: Clip, version: int) -> list[dict[str, object]]:
    """What was changed after ``version``, by whom: one entry per field, with its value now."""
    from clipper.models import Event, User

    events = session.scalars(
        select(Event).where(Event.target_type == "clip", Event.target_id == clip.id).order_by(Event.id))
    seen: dict[str, dict[str, object]] = {}
    now = _snapshot(clip) | {"status": clip.status}
    for event in events:
        if int(event.detail.get("version", 0)) <= version:
            continue
        who = session.get(User, event.user_id) if event.user_id else None
        for field in event.detail.get("changed", {}):
            seen[field] = {"field": field, "label": FIELD_LABELS.get(field, field), "now": now.get(field),
                           "by": (who.name or who.email) if who else None}
    return list(seen.values())


def _stale_message(session: Session, clip: Clip, version: int) -> str:
    changes = changes_since(session, clip, version)
    what = ", ".join(str(c["label"]) for c in changes) or "the clip"
    people = sorted({str(c["by"]) for c in changes if c["by"]})
    who = f" ({', '.join(people)})" if people else ""
    return (f"Someone else{who} saved this clip after you opened it and changed: {what}. "
            "Your edit was not saved; look at their changes, then save again.")


def _record(session: Session, clip: Clip, action: str, changed: Mapping[str, object], user_id: int | None) -> None:
    from clipper import events

    clip.version += 1
    events.record(session, action, clip, user_id=user_id, version=clip.version, changed=changed)


def _snapshot(clip: Clip) -> dict[str, object]:
    return {"start": clip.start, "end": clip.end, "title": clip.title, "speaker": clip.speaker,
            "tags": list(clip.tags or []), "post_copy": clip.post_copy, "presets": list(clip.presets or []),
            "caption_words": [w["text"] for w in clip.caption_words or []]}


def _key(word: dict[str, object]) -> int:
    return round(float(word["start"]) * 1000)  # type: ignore[arg-type]


def _text(value: object, name: str, *, strip: bool = True) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"The clip's {FIELD_LABELS.get(name, name)} must be text.")
    text = value.strip() if strip else value.replace("\r\n", "\n")
    if len(text) > LIMITS[name]:
        raise InvalidInput(f"The {FIELD_LABELS.get(name, name)} is too long ({len(text)} characters): "
                           f"keep it under {LIMITS[name]} characters.")
    return text


def _presets(value: object) -> list[str]:
    if not isinstance(value, list) or not value:
        raise InvalidInput(f"Choose at least one format: {', '.join(PRESETS)}.")
    unknown = [p for p in value if p not in PRESETS]
    if unknown:
        raise InvalidInput(f"Unknown preset {unknown[0]!r}: choose from {', '.join(PRESETS)}.")
    return [str(p) for p in value]


def _int(value: object, name: str) -> int:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        raise InvalidInput(f"Send the clip's {name} you loaded (a whole number), so edits are not lost.") from None
