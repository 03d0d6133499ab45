"""Alerts: saved words that, when a live transcript says them, tell the team within seconds.

``fire`` looks at segments just stored; each match of an active alert becomes one ``AlertHit`` (the
unique (alert, segment) pair makes a rerun of the same transcription fire nothing twice) with the
sentence around the match and a draft clip already marked on that sentence's edges, owned by whoever
set the alert. Delivery (a signed webhook) is the caller's to queue.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clipper.errors import InvalidInput
from clipper.models import Alert, AlertHit, Channel, Clip, Recording, Segment, Word, utcnow
from clipper.search import Query, parse_query, tokens

SENTENCE_ENDS = (".", "?", "!")
MAX_SENTENCE_WORDS = 60  # a "sentence" without punctuation stops here


@dataclass(frozen=True)
class Fired:
    hit_id: int
    sends: bool  # to a webhook or a Telegram chat, besides the desk's list
    clip_id: int  # the draft clip on the sentence


def create_alert(session: Session, *, user_id: int, name: object, query: object, webhook_url: str = "",
                 telegram_channel_id: object = None, telegram_chat: object = "", speaker: object = "") -> Alert:
    text, who = str(query or "").strip(), str(speaker or "").strip()
    if len(text) > 500 or "\x00" in text or len(who) > 200 or "\x00" in who:
        raise InvalidInput("Words to watch for go up to 500 characters, a speaker's name up to 200.")
    if not who and not text:
        raise InvalidInput("Say which words to watch for, or whose voice (a speaker), or both.")
    if text and not parse_query(text).terms:
        raise InvalidInput("The alert has no words to look for.")
    channel_id, chat = _telegram(session, telegram_channel_id, telegram_chat)
    if channel_id and webhook_url:
        raise InvalidInput("Send an alert to a webhook or to a Telegram chat, not both: make two alerts.")
    alert = Alert(user_id=user_id, name=str(name or text or who).strip()[:200], query=text, speaker=who,
                  webhook_url=webhook_url, telegram_channel_id=channel_id, telegram_chat=chat)
    session.add(alert)
    session.flush()
    return alert


def _telegram(session: Session, channel_id: object, chat: object) -> tuple[int | None, str]:
    """The Telegram channel whose bot tells the team, and the team's chat (an id like -1001234567890 or @name)."""
    if channel_id in (None, "", 0):
        return None, ""
    channel = session.get(Channel, int(str(channel_id))) if str(channel_id).isdigit() else None
    if channel is None or channel.kind != "telegram" or not channel.active:
        raise InvalidInput("Pick a connected Telegram channel: its bot sends the alert (an admin connects one on "
                           "the Channels page).")
    text = str(chat or "").strip()
    if not re.fullmatch(r"-?\d{1,20}|@[A-Za-z0-9_]{5,32}", text):
        raise InvalidInput("Give the team's Telegram chat as its id (like -1001234567890) or @username, and add "
                           "the bot to that chat.")
    if text.lower() == str((channel.config or {}).get("chat_id", "")).strip().lower():
        raise InvalidInput("That is the public channel the bot posts approved clips to; alerts are unreviewed "
                           "words, so give the team's own chat instead.")
    return channel.id, text


def matches(query: Query, text: str) -> int | None:
    """The token position where every term of ``query`` has appeared in ``text`` (first match), or None."""
    toks = tokens(text)
    first = None
    for term in query.terms:
        n = len(term.tokens)
        found = None
        for i in range(len(toks) - n + 1):
            window = toks[i:i + n]
            last_ok = window[-1].startswith(term.tokens[-1]) if term.prefix else window[-1] == term.tokens[-1]
            if window[:-1] == list(term.tokens[:-1]) and last_ok:
                found = i
                break
        if found is None:
            return None
        first = found if first is None else min(first, found)
    return first


def fire(session: Session, recording: Recording, segments: Sequence[Segment]) -> list[Fired]:
    """Record a hit (and a draft clip) for each active alert each new segment matches; the caller commits."""
    alerts = session.scalars(select(Alert).where(Alert.active.is_(True))).all()
    fired = []
    for alert in alerts:
        query = parse_query(alert.query) if alert.query else None
        for segment in segments:
            if alert.speaker and not _said_by(session, alert.speaker, segment, turn_start=query is None):
                continue
            words = session.scalars(select(Word).where(Word.segment_id == segment.id).order_by(Word.idx)).all()
            position = matches(query, " ".join(w.display for w in words)) if query is not None else 0
            if position is None or not words:
                continue
            hit = _hit(session, alert, recording, segment, words, position)
            if hit is not None:
                fired.append(Fired(hit.id, alert.sends, hit.clip_id or 0))
    return fired


def _said_by(session: Session, speaker: str, segment: Segment, *, turn_start: bool) -> bool:
    """``segment`` is ``speaker``'s (by name or label); with ``turn_start``, only where their turn begins."""
    def theirs(seg: Segment | None) -> bool:
        return seg is not None and speaker.casefold() in (seg.speaker.casefold(), (seg.speaker_label or "").casefold())

    if not theirs(segment):
        return False
    if not turn_start:
        return True
    before = session.scalar(select(Segment).where(Segment.recording_id == segment.recording_id,
                                                  Segment.idx == segment.idx - 1))
    return not theirs(before)


def _hit(session: Session, alert: Alert, recording: Recording, segment: Segment, words: Sequence[Word],
         position: int) -> AlertHit | None:
    token_word = [i for i, w in enumerate(words) for _ in tokens(w.display)]
    matched = words[token_word[min(position, len(token_word) - 1)]]
    first, last = _sentence(session, recording.id, matched)
    sentence = " ".join(w.display for w in _words_between(session, recording.id, first.idx, last.idx))
    now = utcnow()
    try:
        with session.begin_nested():  # the unique pair refuses a second hit for the same segment
            hit = AlertHit(alert_id=alert.id, recording_id=recording.id, segment_id=segment.id,
                           moment=matched.start, sentence=sentence[:2000], stored_at=now, created_at=now,
                           delivery="queued" if alert.sends else "desk")
            session.add(hit)
            session.flush()
    except IntegrityError:
        return None
    clip = Clip(recording_id=recording.id, start=round(first.start, 3), end=round(last.end, 3),
                title=f"Alert: {alert.name}"[:300], created_by_id=alert.user_id, status="draft",
                presets=["vertical", "square", "landscape"],  # a rough vertical preview is made at once
                caption_words=[{"start": w.start, "end": w.end, "text": w.display}
                               for w in _words_between(session, recording.id, first.idx, last.idx)])
    session.add(clip)
    session.flush()
    hit.clip_id = clip.id
    return hit


def _sentence(session: Session, recording_id: int, word: Word) -> tuple[Word, Word]:
    """The first and last words of the sentence around ``word`` (by punctuation, within reach)."""
    before = session.scalars(select(Word).where(Word.recording_id == recording_id, Word.idx < word.idx)
                             .order_by(Word.idx.desc()).limit(MAX_SENTENCE_WORDS)).all()
    first = word
    for w in before:
        if w.display.rstrip('"\'').endswith(SENTENCE_ENDS):
            break
        first = w
    after = session.scalars(select(Word).where(Word.recording_id == recording_id, Word.idx >= word.idx)
                            .order_by(Word.idx).limit(MAX_SENTENCE_WORDS)).all()
    last = after[-1] if after else word
    for w in after:
        if w.display.rstrip('"\'').endswith(SENTENCE_ENDS):
            last = w
            break
    return first, last


def _words_between(session: Session, recording_id: int, first: int, last: int) -> Sequence[Word]:
    return session.scalars(select(Word).where(Word.recording_id == recording_id, Word.idx >= first,
                                              Word.idx <= last).order_by(Word.idx)).all()


def payload(hit: AlertHit, alert: Alert, recording: Recording, public_base_url: str) -> bytes:
    return json.dumps({
        "alert": {"id": alert.id, "name": alert.name, "query": alert.query},
        "recording": {"id": recording.id, "title": recording.title, "channel": recording.channel},
        "sentence": hit.sentence, "moment": hit.moment,
        "url": f"{public_base_url.rstrip('/')}/recordings/{recording.id}?t={hit.moment:.2f}",
        "clip_id": hit.clip_id, "hit_id": hit.id,  # receivers dedupe on hit_id: a retried delivery repeats it
    }, ensure_ascii=False).encode()


def message(hit: AlertHit, alert: Alert, recording: Recording, public_base_url: str) -> str:
    """The alert as a chat message: the sentence, where it was said, and the link to that moment."""
    minutes, seconds = divmod(int(hit.moment), 60)
    return (f"🔔 {alert.name}: “{hit.sentence}”\n{recording.title}, at {minutes}:{seconds:02d}\n"
            f"{public_base_url.rstrip('/')}/recordings/{recording.id}?t={hit.moment:.2f}")


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``timestamp.body``, hex: the receiver recomputes it to know the alert is ours."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
