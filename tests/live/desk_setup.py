"""A live recording as the recorder and live transcription leave it, for desk tests: real MPEG-TS
segments (cut from one continuous stream, timestamps running on) in the store, and words appended
in chunks the way ``transcribe_live`` appends them."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from clipper.models import LiveSegment, Recording
from clipper.speech.chunks import Chunk
from clipper.speech.store import append_chunk
from clipper.transcript import Segment, Word

AIRED = datetime(2026, 12, 3, 12, 0, 0)


COLOURS = ("red", "green", "blue", "yellow", "white")


def stream_segments(folder: Path, count: int, seconds: float = 4.0, *, coloured: bool = False) -> list[Path]:
    """``count`` MPEG-TS segments of ``seconds`` each (a test picture and a tone), as a broadcast cuts them
    from one stream (timestamps run on). ``coloured``: segment i is a plain ``COLOURS[i]`` picture, so a
    frame of a render tells which part of the recording it came from."""
    folder.mkdir(parents=True, exist_ok=True)
    picture = "testsrc2=size=320x240:rate=25"
    if coloured:
        parts = [f"color=c={COLOURS[i]}:size=320x240:rate=25:duration={seconds}[p{i}]" for i in range(count)]
        picture = ";".join(parts) + ";" + "".join(f"[p{i}]" for i in range(count)) + f"concat=n={count}[out0]"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", picture,
                    "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000", "-t", str(count * seconds),
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac", "-b:a", "64k",
                    "-f", "segment", "-segment_time", str(seconds), "-segment_format", "mpegts",
                    str(folder / "seg%03d.ts")], check=True, timeout=120)
    return sorted(folder.glob("seg*.ts"))[:count]


def fmp4_segments(folder: Path, count: int, seconds: float = 4.0) -> list[Path]:
    """``count`` fragmented-MP4 segments as the recorder stores them: the stream's initialisation section,
    then that segment's fragments."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
                    "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000", "-t", str(count * seconds),
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac", "-b:a", "64k",
                    "-f", "hls", "-hls_time", str(seconds), "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
                    "-hls_fmp4_init_filename", "init.mp4", "-hls_segment_filename", str(folder / "f%03d.m4s"),
                    str(folder / "index.m3u8")], check=True, timeout=120)
    init = (folder / "init.mp4").read_bytes()
    out = []
    for i, piece in enumerate(sorted(folder.glob("f*.m4s"))[:count]):
        path = folder / f"segment{i:03d}.mp4"
        path.write_bytes(init + piece.read_bytes())
        out.append(path)
    return out


def live_recording(sessions: Any, title: str = "PMQs live") -> int:
    with sessions() as db:
        rec = Recording(title=title, source="live", status="live", aired_at=AIRED, duration=0.0,
                        probe={"fps": 25.0, "width": 320, "height": 240, "has_video": True})
        db.add(rec)
        db.commit()
        return rec.id


def add_segment(sessions: Any, store: Any, recording_id: int, idx: int, path: Path | None, *, start: float,
                duration: float, gap_before: float = 0.0) -> None:
    """A stored segment (``path`` None: one that was not media, a recorded hole)."""
    key = f"recordings/{recording_id}/live/{idx:06d}{path.suffix}" if path else ""
    if path:
        store.put_file(key, path, content_type="video/mp4" if path.suffix == ".mp4" else "video/mp2t")
    with sessions() as db:
        db.add(LiveSegment(recording_id=recording_id, idx=idx, start=start, duration=duration, gap_before=gap_before,
                           aired_at=AIRED + timedelta(seconds=start), storage_key=key,
                           status="stored" if path else "failed", error="" if path else "not media"))
        rec = db.get(Recording, recording_id)
        rec.duration = max(rec.duration, start + duration)
        db.commit()


def add_words(sessions: Any, recording_id: int, sentence: str, start: float, *, speaker: str = "",
              until: float | None = None) -> None:
    """One sentence's words, 0.4 s each and 0.5 s apart from ``start``, stored as a live chunk."""
    words = tuple(Word(round(start + 0.5 * i, 3), round(start + 0.5 * i + 0.4, 3), text, 0.9)
                  for i, text in enumerate(sentence.split()))
    with sessions() as db:
        rec = db.get(Recording, recording_id)
        end = until if until is not None else words[-1].end + 0.5
        append_chunk(db, rec, Chunk(index=rec.transcribed_chunks, start=max(rec.transcribed_until, 0.0),
                                    end=end, segments=(Segment(words[0].start, words[-1].end, sentence, words,
                                                               speaker),)))
        db.commit()


def finish(sessions: Any, recording_id: int) -> None:
    with sessions() as db:
        db.get(Recording, recording_id).status = "ready"
        db.commit()
