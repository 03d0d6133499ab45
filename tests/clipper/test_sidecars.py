"""Caption markup in SRT/VTT sidecars and transcript exports (issue 8, item 15): a caption fix like
``<font size="80" color="#FF0000">`` or ``{\\an8}`` is shown as the words typed, never as styling.

ffmpeg's own SRT and WebVTT decoders (what players such as mpv and VLC build on) read our files: the
styling they would apply shows up as ASS override blocks, and there must be none.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from clipper.captions import LAYOUTS, group, relative_words, srt, vtt
from tests.media import have

FAKE_QUOTE = [{"start": 0.0, "end": 0.4, "text": '<font size="80" color="#FF0000">Vote'},
              {"start": 0.5, "end": 0.9, "text": "{\\an8}for"}, {"start": 1.0, "end": 1.4, "text": "us</font>"},
              {"start": 1.5, "end": 1.9, "text": "<b>now</b>"}, {"start": 2.0, "end": 2.4, "text": "\\Nplease"}]


def _decoded(path: Path) -> list[str]:
    """The dialogue texts ffmpeg's subtitle decoder makes of ``path`` (as ASS, which shows any styling)."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "ass", "-"], capture_output=True,
                         text=True, check=True).stdout
    return [line.split(",", 9)[9] for line in out.splitlines() if line.startswith("Dialogue:")]


def test_sidecars_keep_the_words_and_drop_no_text() -> None:
    captions = group(relative_words(FAKE_QUOTE, 0.0, 3.0), LAYOUTS["landscape"])
    s, v = srt(captions), vtt(captions)
    assert "\u2039font size=\"80\" color=\"#FF0000\"\u203aVote" in s and "\uff5b\\\u2060an8\uff5dfor" in s
    assert "<" not in s.replace("-->", "") and ">" not in s.replace("-->", "") and "{" not in s
    assert "&lt;font size=\"80\" color=\"#FF0000\"&gt;Vote" in v and "&lt;b&gt;now&lt;/b&gt;" in v
    assert "\\N" not in s and "\\N" not in v  # a backslash can no longer start a line break


@pytest.mark.skipif(not have("ffmpeg"), reason="ffmpeg is not installed")
@pytest.mark.parametrize("kind", ["srt", "vtt"])
def test_players_show_caption_markup_as_text_never_as_styling(tmp_path: Path, kind: str) -> None:
    captions = group(relative_words(FAKE_QUOTE, 0.0, 3.0), LAYOUTS["landscape"])
    path = tmp_path / f"captions.{kind}"
    path.write_text(srt(captions) if kind == "srt" else vtt(captions), encoding="utf-8")
    texts = _decoded(path)
    assert texts, "ffmpeg decoded no cues"
    styled = [t for t in texts if re.search(r"\{\\", t)]
    assert styled == [], f"the decoder styled the captions: {styled}"
    shown = " ".join(texts)
    for word in ("Vote", "for", "us", "now", "please"):
        assert word in shown


def test_transcript_exports_show_a_fixed_words_markup_as_text(client, auth, sessions) -> None:  # type: ignore[no-untyped-def]
    from tests.web.team import ready_recording

    rid = ready_recording(sessions)
    fixed = client.patch(f"/api/v1/recordings/{rid}/words/1", headers=auth,
                         json={"text": '<font color="#FF0000">{\\an8}Minister</font>'})
    assert fixed.status_code == 200
    body = client.get(f"/api/v1/recordings/{rid}/transcript.srt", headers=auth).get_data(as_text=True)
    assert "\u2039font color=\"#FF0000\"\u203a\uff5b\\\u2060an8\uff5dMinister\u2039/font\u203a" in body
    assert "<font" not in body and "{\\an8}" not in body
    body = client.get(f"/api/v1/recordings/{rid}/transcript.vtt", headers=auth).get_data(as_text=True)
    assert "&lt;font color=\"#FF0000\"&gt;" in body and "{\\an8}" not in body
