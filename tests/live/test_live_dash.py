"""A live DASH stream (ffmpeg's dash muxer: a dynamic MPD, SegmentTimeline, picture and sound in separate
adaptation sets) is recorded into MPEG-TS segments (each piece's video and audio fragments muxed) and
transcribed; a manifest naming a private address, or one without a timeline, is refused with the reason."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from clipper import clips as clip_service
from clipper.errors import ClipperError
from clipper.live import dash
from clipper.models import LiveSegment, LiveSource, Recording, Render, Word
from clipper.probe import probe
from clipper.speech.accuracy import word_error_rate
from tests.conftest import run_jobs
from tests.live.hls_server import LiveHLS
from tests.media import have
from tests.speech_data import BRIEFING, long_speech
from workers import queues
from workers.recorder import record

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")]

MPD = """<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic">
 <BaseURL>{base}</BaseURL>
 <Period id="0" start="PT0S">
  <AdaptationSet contentType="video" mimeType="video/mp4">
   <Representation id="v" bandwidth="500000">
    <SegmentTemplate timescale="1000" initialization="init-$RepresentationID$.m4s"
                     media="seg-$RepresentationID$-$Number%03d$.m4s" startNumber="7"{timeline}
   </Representation>
  </AdaptationSet>
 </Period>
</MPD>"""
TIMELINE = '><SegmentTimeline><S t="0" d="2000" r="2"/></SegmentTimeline></SegmentTemplate>'


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return dataclasses.replace(settings, url_allowed_hosts=("127.0.0.1:*",))


def test_a_manifest_is_read_into_pieces_with_absolute_links() -> None:
    parsed = dash.parse(MPD.format(base="media/", timeline=TIMELINE), "http://cdn.example/live/stream.mpd")
    assert [(p.sequence, p.duration, p.url) for p in parsed.pieces] == [
        (7, 2.0, "http://cdn.example/live/media/seg-v-007.m4s"), (8, 2.0, "http://cdn.example/live/media/seg-v-008.m4s"),
        (9, 2.0, "http://cdn.example/live/media/seg-v-009.m4s")]
    assert parsed.pieces[0].init_url == "http://cdn.example/live/media/init-v.m4s" and not parsed.ended
    with pytest.raises(ClipperError) as clock_only:
        dash.parse(MPD.format(base="", timeline=' duration="2000"/>'), "http://cdn.example/a.mpd")
    assert "SegmentTimeline" in clock_only.value.message
    drm = MPD.format(base="", timeline=TIMELINE).replace("<Representation", '<ContentProtection schemeIdUri="x"/><Representation')
    laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><MPD>&lol;</MPD>'
    for text, says in ((drm, "encrypted"), (laughs, "DOCTYPE")):
        with pytest.raises(ClipperError) as refused:
            dash.parse(text, "http://cdn.example/a.mpd")
        assert says in refused.value.message


def test_a_live_dash_stream_is_recorded_and_transcribed(ctx, redis_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wav, text = long_speech(tmp_path / "speech.wav", BRIEFING[:3], gap=0.6)
    stream = LiveHLS(tmp_path / "dash", wav, dash=True).start()
    (stream.folder / "evil.mpd").write_text(MPD.format(base="http://10.0.0.7/", timeline=TIMELINE))
    try:
        with ctx.sessions() as session:
            good = LiveSource(name="Debate", url=stream.url, segment_seconds=6.0, active=True)
            evil = LiveSource(name="Evil", url=stream.url.replace("live.mpd", "evil.mpd"), active=True)
            session.add_all([good, evil])
            session.commit()
            good_id, evil_id = good.id, evil.id
        assert record(ctx, evil_id, sleep=lambda s: None) == "failed"
        outcome = record(ctx, good_id)
        with ctx.sessions() as session:
            assert outcome == "ended", session.get(LiveSource, good_id).error
    finally:
        stream.stop()
    with ctx.sessions() as session:
        evil_source = session.get(LiveSource, evil_id)
        assert "private" in evil_source.error.lower() or "not allowed" in evil_source.error.lower(), evil_source.error
        rid = session.get(LiveSource, good_id).recording_id
        segments = session.query(LiveSegment).filter_by(recording_id=rid).order_by(LiveSegment.idx).all()
    assert len(segments) >= 2 and all(s.status == "stored" and s.storage_key.endswith(".ts") for s in segments)
    info = probe(ctx.store.get_file(segments[0].storage_key, tmp_path / "first.ts"))
    assert info.has_audio and info.width == 320  # picture and sound, muxed
    queues.enqueue_live_finish(ctx.redis, rid)
    run_jobs(redis_url, ("transcribe",))
    with ctx.sessions() as session:
        rec = session.get(Recording, rid)
        assert rec.status == "ready", rec.error
        said = " ".join(w.display for w in session.query(Word).filter_by(recording_id=rid).order_by(Word.idx))
    assert word_error_rate(text, said) < 0.15, said
    # Segments follow on from each other (the stream's own timestamps): joined, they make one file
    original = probe(ctx.store.get_file(rec.original_key, tmp_path / "original.ts"))
    assert original.duration == pytest.approx(sum(s.duration for s in segments), abs=0.6)
    with ctx.sessions() as session:
        clip = clip_service.create_clip(session, session.get(Recording, rid), start=segments[0].end - 2.0,
                                        end=segments[0].end + 2.0, title="Across a seam", presets=["landscape"])
        session.commit()
        clip_id = clip.id
    queues.enqueue_preview(ctx.redis, clip_id)
    run_jobs(redis_url, ("render",))
    with ctx.sessions() as session:
        preview = session.query(Render).filter_by(clip_id=clip_id).one()
        assert preview.status == "preview", preview.error
        cut = probe(ctx.store.get_file(preview.storage_key, tmp_path / "preview.mp4"))
    assert 4.0 - 0.1 <= cut.duration <= 4.0 + 1.1 and cut.has_audio
