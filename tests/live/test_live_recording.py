"""Live: a loopback HLS stream paced in real time is recorded in segments, transcribed as it airs
(searchable and clippable before it ends), with no word lost or doubled at the seams; a stream that
drops and returns leaves a recorded gap; a stream whose playlist is gone stops with a clear status."""

from __future__ import annotations

import dataclasses
import http.server
import json
import threading
import time
from pathlib import Path

import pytest

from clipper import clips as clip_service
from clipper.live import alerts
from clipper.models import AlertHit, Clip, LiveSegment, LiveSource, Recording, Render, Segment, User, Word
from clipper.probe import probe
from clipper.search import search
from clipper.speech.accuracy import normalise, word_error_rate
from tests.conftest import run_jobs
from tests.live.hls_server import LiveHLS
from tests.media import have
from tests.speech_data import BRIEFING, long_speech
from workers import context, queues
from workers.jobs.alerts import alert_secret
from workers.recorder import record

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")]


@pytest.fixture
def stream(tmp_path: Path):  # type: ignore[no-untyped-def]
    wav, text = long_speech(tmp_path / "speech.wav", BRIEFING[:8], gap=0.6)
    live = LiveHLS(tmp_path / "hls", wav)
    live.text = text  # type: ignore[attr-defined]
    yield live
    live.stop()


def _ctx(settings, redis_url: str, port: int) -> context.Context:  # type: ignore[no-untyped-def]
    allowed = ("127.0.0.1", f"127.0.0.1:{port}")  # the test's own stream server on loopback
    return context.configure(dataclasses.replace(settings, url_allowed_hosts=allowed), redis_url)


def _source(ctx: context.Context, url: str, seconds: float = 6.0) -> int:
    with ctx.sessions() as session:
        source = LiveSource(name="Evening news", url=url, segment_seconds=seconds, active=True)
        session.add(source)
        session.commit()
        return source.id


def _one_job(redis_url: str, queues: tuple[str, ...]) -> None:
    """Run at most one waiting job (a burst would keep running while segments keep arriving)."""
    from rq import Queue, SimpleWorker

    from workers.redis import connect

    conn = connect(redis_url)
    SimpleWorker([Queue(q, connection=conn) for q in queues], connection=conn).work(burst=True, max_jobs=1)


def _words(ctx: context.Context, recording_id: int) -> list[tuple[float, float, str]]:
    with ctx.sessions() as session:
        rows = session.query(Word).filter_by(recording_id=recording_id).order_by(Word.idx).all()
        return [(w.start, w.end, w.display) for w in rows]


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[float, dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((time.monotonic(), dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


@pytest.fixture
def webhook():  # type: ignore[no-untyped-def]
    _Receiver.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_live_stream_is_transcribed_searchable_and_clippable_while_it_airs(settings, redis_url, stream, webhook,  # type: ignore[no-untyped-def]
                                                                            tmp_path: Path) -> None:
    stream.start()
    hook_port = webhook.server_address[1]
    ctx = context.configure(dataclasses.replace(settings, url_allowed_hosts=(
        "127.0.0.1", f"127.0.0.1:{stream.port}", f"127.0.0.1:{hook_port}")), redis_url)
    source_id = _source(ctx, stream.url)
    with ctx.sessions() as session:
        owner = User(email="lead@example.org", role="social_lead")
        session.add(owner)
        session.flush()
        alert = alerts.create_alert(session, user_id=owner.id, name="Hospital", query='"new hospital"',
                                    webhook_url=f"http://127.0.0.1:{hook_port}/hook")
        session.commit()
        alert_id, owner_id = alert.id, owner.id
    outcome: dict[str, str] = {}
    recorder = threading.Thread(target=lambda: outcome.update(status=record(ctx, source_id)), daemon=True)
    recorder.start()
    found_on_air = clipped_on_air = None
    deadline = time.monotonic() + 240
    while recorder.is_alive() and time.monotonic() < deadline:
        _one_job(redis_url, ("transcribe", "publish"))
        with ctx.sessions() as session:
            source = session.get(LiveSource, source_id)
            rec = session.get(Recording, source.recording_id) if source.recording_id else None
            if rec is not None and rec.status == "live" and found_on_air is None:
                hits = search(session, '"new hospital"').hits
                if hits:
                    found_on_air = (source.status, rec.transcribed_until, hits[0].recording_id == rec.id)
            if rec is not None and rec.status == "live" and clipped_on_air is None and rec.transcribed_until > 8:
                clip = clip_service.create_clip(session, rec, start=0.0, end=rec.transcribed_until - 1,
                                                title="On air", presets=["landscape"])
                session.commit()
                clipped_on_air = clip.id
        time.sleep(1)
    recorder.join(30)
    run_jobs(redis_url, ("transcribe", "ingest", "publish"))  # the tail of the transcript; the joined original

    # The alert fired once, at its webhook (signed) and in the owner's list, with a draft clip on the sentence.
    with ctx.sessions() as session:
        hits = session.query(AlertHit).filter_by(alert_id=alert_id).all()
        assert len(hits) == 1, [h.sentence for h in hits]
        hit = hits[0]
        assert hit.delivery == "sent" and "new hospital" in hit.sentence.lower()
        assert hit.sentence.startswith("The minister said")  # from the sentence's start (its end: where tiny.en punctuates)
        clip = session.get(Clip, hit.clip_id)
        assert clip.status == "draft" and clip.created_by_id == owner_id
        assert " ".join(w["text"] for w in clip.caption_words) == hit.sentence
        rec = session.get(Recording, hit.recording_id)
        again = alerts.fire(session, rec, session.query(Segment).filter_by(recording_id=rec.id).all())
        assert again == []  # a rerun of the same transcription fires nothing twice
    assert len(_Receiver.received) == 1
    _, headers, body = _Receiver.received[0]
    assert json.loads(body)["sentence"] == hit.sentence and json.loads(body)["hit_id"] == hit.id
    expected = alerts.signature(alert_secret("test-secret", alert_id), headers["X-Clipper-Timestamp"], body)
    assert headers["X-Clipper-Signature"] == f"sha256={expected}"

    assert outcome.get("status") == "ended"
    assert found_on_air is not None and found_on_air[0] == "recording" and found_on_air[2], found_on_air
    assert clipped_on_air is not None
    with ctx.sessions() as session:
        source = session.get(LiveSource, source_id)
        rec = session.get(Recording, source.recording_id)
        segments = session.query(LiveSegment).filter_by(recording_id=rec.id).order_by(LiveSegment.idx).all()
        assert rec.status == "ready", rec.error
        assert rec.source == "live" and rec.original_key.endswith("original.ts")
        assert len(segments) >= 5 and all(s.status == "transcribed" for s in segments)
        assert all(ctx.store.exists(s.storage_key) for s in segments)
        assert all(abs(b.start - a.end) < 0.01 and b.gap_before == 0 for a, b in zip(segments, segments[1:], strict=False))
        recording_id = rec.id
    words = _words(ctx, recording_id)
    said = " ".join(w[2] for w in words)
    assert word_error_rate(stream.text, said) < 0.1, said
    assert len(normalise(said)) == pytest.approx(len(normalise(stream.text)), abs=3)  # nothing doubled or lost
    assert all(b[0] >= a[0] for a, b in zip(words, words[1:], strict=False))  # in order, across every seam

    with ctx.sessions() as session:  # a lead approved it (public renders come only from approval)
        session.get(Clip, clipped_on_air).status = "approved"
        session.commit()
    queues.enqueue_render(ctx.redis, clipped_on_air)  # the clip marked on air renders from the recording
    run_jobs(redis_url, ("render",))
    with ctx.sessions() as session:
        render = session.query(Render).filter_by(clip_id=clipped_on_air).one()
        assert render.status == "done", render.error
        assert render.duration > 7
        # The alert's draft got a rough vertical preview, cut from the stored segments.
        draft = session.get(Clip, hit.clip_id)
        preview = session.query(Render).filter_by(clip_id=draft.id, preset="vertical").one()
        assert (preview.preset, preview.status) == ("vertical", "preview"), preview.error
        path = ctx.store.get_file(preview.storage_key, tmp_path / "alert-preview.mp4")
    info = probe(path)
    assert (info.width, info.height) == (540, 960)
    assert info.duration == pytest.approx(draft.end - draft.start, abs=0.15)


def test_a_stream_that_drops_and_returns_keeps_recording_with_a_gap(settings, redis_url, stream) -> None:  # type: ignore[no-untyped-def]
    stream.start()
    ctx = _ctx(settings, redis_url, stream.port)
    source_id = _source(ctx, stream.url, seconds=4.0)
    outcome: dict[str, str] = {}
    recorder = threading.Thread(target=lambda: outcome.update(status=record(ctx, source_id, sleep=time.sleep)),
                                daemon=True)
    recorder.start()
    time.sleep(10)
    stream.pause(20)  # the playlist answers 404 for 20 s; pieces made meanwhile leave the playlist
    recorder.join(240)
    assert outcome.get("status") == "ended"
    with ctx.sessions() as session:
        source = session.get(LiveSource, source_id)
        segments = session.query(LiveSegment).filter_by(recording_id=source.recording_id).order_by(LiveSegment.idx).all()
    gaps = [s for s in segments if s.gap_before > 0]
    # The gap is the air the recorder missed: the 20 s drop, plus noticing it and the retry back-off, less
    # what the playlist still held when it came back.
    assert len(gaps) == 1 and 10 <= gaps[0].gap_before <= 32, [(s.start, s.duration, s.gap_before) for s in segments]
    assert segments[-1].end == pytest.approx(sum(s.duration + s.gap_before for s in segments), abs=0.05)


def test_a_stream_whose_playlist_is_gone_stops_with_a_clear_status(settings, redis_url, stream) -> None:  # type: ignore[no-untyped-def]
    stream.start()
    ctx = _ctx(settings, redis_url, stream.port)
    source_id = _source(ctx, stream.url.replace("live.m3u8", "gone.m3u8"))
    ticks = iter(range(0, 10_000, 7))  # a clock that moves 7 s per look: 120 s of failures pass at once
    assert record(ctx, source_id, sleep=lambda s: None, clock=lambda: float(next(ticks))) == "failed"
    with ctx.sessions() as session:
        source = session.get(LiveSource, source_id)
        assert source.status == "failed" and not source.active
        assert "404" in source.error and "start it again" in source.error


def test_a_playlist_pointing_at_a_private_address_is_refused(settings, redis_url, stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    stream.start()
    (stream.folder / "evil.m3u8").write_text(
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.0,\nhttp://10.0.0.7/piece.ts\n")
    ctx = _ctx(settings, redis_url, stream.port)
    source_id = _source(ctx, stream.url.replace("live.m3u8", "evil.m3u8"))
    assert record(ctx, source_id, sleep=lambda s: None) == "failed"
    with ctx.sessions() as session:
        error = session.get(LiveSource, source_id).error
    assert "private" in error.lower() or "not allowed" in error.lower(), error


PAGE = '<!doctype html><html><head><title>Watch live</title></head><body><h1>Evening news</h1>' \
       '<video controls><source src="{src}" type="application/x-mpegURL"></video></body></html>'


def test_a_page_around_the_stream_is_resolved_by_yt_dlp_and_recorded(settings, redis_url, stream) -> None:  # type: ignore[no-untyped-def]
    (stream.folder / "watch.html").write_text(PAGE.format(src="live.m3u8"))
    (stream.folder / "nothing.html").write_text("<!doctype html><html><body><p>No video today.</p></body></html>")
    (stream.folder / "evil.html").write_text(PAGE.format(src="http://10.0.0.7/live.m3u8"))
    stream.start()
    ctx = _ctx(settings, redis_url, stream.port)
    source_id = _source(ctx, stream.url.replace("live.m3u8", "watch.html"))
    started = time.monotonic()
    assert record(ctx, source_id, should_stop=lambda: time.monotonic() - started > 16) == "idle"
    with ctx.sessions() as session:
        source = session.get(LiveSource, source_id)
        segments = session.query(LiveSegment).filter_by(recording_id=source.recording_id).all()
    assert segments and all(s.status == "stored" and ctx.store.exists(s.storage_key) for s in segments), source.error

    for page, says in (("nothing.html", "no live stream"), ("evil.html", "private")):
        source_id = _source(ctx, stream.url.replace("live.m3u8", page))
        assert record(ctx, source_id, sleep=lambda s: None) == "failed"
        with ctx.sessions() as session:
            source = session.get(LiveSource, source_id)
            assert says in source.error.lower() and not source.active, source.error
            assert session.query(LiveSegment).filter_by(recording_id=source.recording_id).count() == 0


def test_the_recorder_stops_before_the_disk_fills_and_keeps_what_it_recorded(settings, redis_url, stream,  # type: ignore[no-untyped-def]
                                                                            tmp_path: Path) -> None:
    import urllib.request

    from clipper.live.recorder import DiskFull, Recorder, RecorderOptions

    stream.start()
    kept: list[float] = []
    looks = iter(range(1000))
    # plenty of room for the first 7 pieces (three 4 s segments and a part), then nearly full
    free = lambda path: 10 * 1024**3 if next(looks) < 7 else 900 * 1024**2  # noqa: E731
    recorder = Recorder(stream.url, tmp_path / "work", lambda url: urllib.request.urlopen(url, timeout=10).read(),
                        lambda seg: kept.append(seg.duration), RecorderOptions(segment_seconds=4.0), free_bytes=free)
    with pytest.raises(DiskFull) as stopped:
        recorder.run()
    assert "only 900 MB free" in stopped.value.message and "Free some space" in stopped.value.message
    assert kept == pytest.approx([4.0, 4.0, 4.0, 2.0], abs=0.1)  # every piece it took is in a segment

    # Supervised, the source stops for good (no retries) with the message, and nothing half-made is left.
    ctx = context.configure(dataclasses.replace(settings, url_allowed_hosts=("127.0.0.1", f"127.0.0.1:{stream.port}"),
                                                live_min_free_mb=10**9), redis_url)
    source_id = _source(ctx, stream.url)
    assert record(ctx, source_id, sleep=lambda s: None) == "failed"
    with ctx.sessions() as session:
        source = session.get(LiveSource, source_id)
        assert not source.active and "MB free" in source.error and "Check the stream's link" not in source.error
        assert session.query(LiveSegment).filter_by(recording_id=source.recording_id).count() == 0
