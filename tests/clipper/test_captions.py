"""Captions: words grouped per aspect, the highlighted word changing at each word's start, safe text."""

from __future__ import annotations

import re

from clipper.captions import (
    LAYOUTS,
    CaptionStyle,
    Overlay,
    ass_document,
    ass_text,
    group,
    relative_words,
    srt,
    vtt,
)

CLIP_WORDS = [
    {"start": 10.0 + i * 0.4, "end": 10.0 + i * 0.4 + 0.3, "text": t}
    for i, t in enumerate("we will not raise taxes on working people during this parliament.".split())
]
EVENT = re.compile(r"^Dialogue: \d+,(\d+):(\d\d):(\d\d)\.(\d\d),(\d+):(\d\d):(\d\d)\.(\d\d),Caption,,0,0,0,,(.*)$")


def seconds(h: str, m: str, s: str, cs: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(cs) / 100


def caption_events(doc: str) -> list[tuple[float, float, str, str]]:
    """(start, end, plain text, highlighted word) for every caption event."""
    out = []
    for line in doc.splitlines():
        m = EVENT.match(line)
        if m:
            body = m.group(9)
            highlighted = re.search(r"\{\\c&H00[0-9A-F]{6}&?\}([^{]*)\{", body)
            plain = re.sub(r"\{[^}]*\}", "", body).replace("\\N", " ")
            out.append((seconds(*m.groups()[0:4]), seconds(*m.groups()[4:8]), plain,
                        highlighted.group(1) if highlighted else ""))
    return out


def test_words_are_relative_to_the_clip_and_clamped() -> None:
    words = relative_words(CLIP_WORDS, 10.2, 12.0)
    assert words[0].start == 0.0 and words[0].text == "we"
    assert all(0 <= w.start <= w.end <= 1.8 for w in words)


def test_vertical_lines_are_short_and_landscape_lines_longer() -> None:
    words = relative_words(CLIP_WORDS, 10.0, 15.0)
    vertical = group(words, LAYOUTS["vertical"])
    landscape = group(words, LAYOUTS["landscape"])
    assert all(2 <= len(line) <= 4 or c is vertical[-1] for c in vertical for line in c.lines)
    assert all(len(c.lines) <= 2 for c in landscape) and len(landscape) < len(vertical)
    assert [w.text for c in vertical for w in c.words] == [w["text"] for w in CLIP_WORDS]


def test_each_event_shows_the_clip_words_and_highlights_the_one_being_spoken() -> None:
    words = relative_words(CLIP_WORDS, 10.0, 15.0)
    for aspect, (w, h) in {"landscape": (1920, 1080), "vertical": (1080, 1920)}.items():
        captions = group(words, LAYOUTS[aspect])
        doc = ass_document(captions, width=w, height=h, aspect=aspect, style=CaptionStyle(), duration=5.0)
        events = caption_events(doc)
        assert [e[3] for e in events] == [w.text for w in words]  # one event per word, highlighting it
        for event, word in zip(events, words, strict=True):
            assert abs(event[0] - word.start) <= 0.01 or event[0] <= word.start  # changes at the word's start
        assert [e[0] for e in events[1:]] == [e[1] for e in events[:-1]] or all(
            a[1] <= b[0] for a, b in zip(events, events[1:], strict=False))
        shown = []
        for e in events:
            if not shown or shown[-1] != e[2]:
                shown.append(e[2])
        assert " ".join(shown).split() == [w.text for w in words]  # the words, in order, nothing else


def test_highlight_starts_exactly_at_each_word_start() -> None:
    words = relative_words(CLIP_WORDS, 10.0, 15.0)
    doc = ass_document(group(words, LAYOUTS["landscape"]), width=1920, height=1080, aspect="landscape",
                       style=CaptionStyle(), duration=5.0)
    starts = [e[0] for e in caption_events(doc)]
    assert starts == [round(w.start, 2) for w in words]


def test_hostile_text_is_plain_text_in_ass() -> None:
    for text in ("{\\fs300}big", "\\N", "a\\b", "line\nbreak", "'),drawtext=textfile=/etc/passwd", "%{pts}"):
        safe = ass_text(text)
        assert "{" not in safe and "}" not in safe and "\n" not in safe
        assert not re.search(r"\\[A-Za-z]", safe)  # no backslash escape survives
    doc = ass_document([], width=100, height=100, aspect="square", style=CaptionStyle(), duration=1,
                       overlay=Overlay(strap_name="{\\fs300}", imprint="x\\Ny"))
    assert "{\\fs300}" not in doc and "x\\Ny" not in doc


def test_uppercase_style_and_colours() -> None:
    words = relative_words(CLIP_WORDS[:2], 10.0, 11.0)
    doc = ass_document(group(words, LAYOUTS["square"]), width=1080, height=1080, aspect="square",
                       style=CaptionStyle(uppercase=True, highlight="#00FF00"), duration=1.0)
    assert "WE" in doc and "WILL" in doc and "&H0000FF00" in doc


def test_sidecars_carry_the_words_with_clip_relative_times() -> None:
    captions = group(relative_words(CLIP_WORDS, 10.0, 15.0), LAYOUTS["landscape"])
    s, v = srt(captions), vtt(captions)
    assert s.startswith("1\n00:00:00,000 --> ")
    assert v.startswith("WEBVTT\n\n00:00:00.000 --> ")
    text = [w for line in v.splitlines()[1:] if line and "-->" not in line for w in line.split()]
    assert text == [w["text"] for w in CLIP_WORDS]
    assert "&lt;b&gt;" in vtt(group(relative_words([{"start": 0, "end": 1, "text": "<b>"}], 0, 1),
                                     LAYOUTS["landscape"]))
