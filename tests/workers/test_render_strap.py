"""The name strap carries the role and constituency the admin keeps on the People page."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from clipper import ffmpeg
from clipper.models import Person
from tests.conftest import run_jobs
from tests.workers.test_render_job import add_clip, renders
from workers import queues

WIDTH, HEIGHT = 640, 360


@pytest.fixture(scope="module")
def grey(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A flat grey picture: any near-white pixel in the strap's rows is strap text."""
    dest = tmp_path_factory.mktemp("media") / "grey.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c=0x808080:s={WIDTH}x{HEIGHT}:r=25:d=5",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=5", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(dest)], check=True)
    return dest


def strap_lines(ctx, clip_id: int, tmp_path: Path) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Near-white pixels in the rows of the strap's first line (name) and second line (role), at 1 s."""
    row = renders(ctx, clip_id)["landscape"]
    assert row.status == "done", row.error
    out = ctx.store.get_file(row.storage_key, tmp_path / f"{clip_id}.mp4")
    raw = ffmpeg.run(["-ss", "1.0", "-i", str(out), "-frames:v", "1", "-vf", "format=gray", "-f", "rawvideo",
                      "pipe:1"], trusted=True, capture_stdout=True).stdout
    size = round(0.065 * HEIGHT * 0.8)  # the strap's font size (captions.ass_document)
    top = round(HEIGHT * 0.06)

    def bright(first: int, last: int) -> int:
        return sum(1 for y in range(first, last) for x in range(0, WIDTH // 2) if raw[y * WIDTH + x] > 220)

    return bright(top, top + size), bright(top + round(size * 1.3), top + round(size * 2.3))


@pytest.mark.slow
def test_the_strap_shows_the_role_from_the_people_page(ctx, redis_url, grey: Path, tmp_path: Path) -> None:
    with ctx.sessions() as session:
        session.add(Person(name="Wes Streeting", role="Shadow Health Secretary", constituency="Ilford North"))
        session.commit()
    linked = add_clip(ctx, grey, start=0.5, end=2.5, speaker="wes  streeting")  # typed, not picked
    unknown = add_clip(ctx, grey, start=0.5, end=2.5, speaker="Someone Else")
    for clip_id in (linked, unknown):
        queues.enqueue_render(ctx.redis, clip_id)
    run_jobs(redis_url, ("render",))
    name, role = strap_lines(ctx, linked, tmp_path)
    assert name > 20 and role > 20, (name, role)
    name, role = strap_lines(ctx, unknown, tmp_path)
    assert name > 20 and role == 0, (name, role)  # no person: the name alone


def test_a_typed_role_wins_and_matching_ignores_case_and_spacing(ctx) -> None:
    from clipper.render.speaker import speaker_for

    with ctx.sessions() as session:
        session.add(Person(name="Rachel Reeves", role="Chancellor", constituency="Leeds West and Pudsey"))
        session.commit()
        found = speaker_for(session, " rachel   REEVES ")
        assert (found.name, found.role) == ("Rachel Reeves", "Chancellor, Leeds West and Pudsey")
        assert speaker_for(session, "Rachel Reeves", "Guest on Today").role == "Guest on Today"
        assert speaker_for(session, "Rachel Reeves (Chancellor, Leeds West and Pudsey)").name == "Rachel Reeves"
        assert speaker_for(session, "Nobody Known").role == ""


@pytest.fixture(scope="module")
def radio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MP3 with no picture (a tone is enough: this is about the picture)."""
    dest = tmp_path_factory.mktemp("media") / "radio.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=330:duration=4",
                    "-c:a", "libmp3lame", "-b:a", "64k", str(dest)], check=True)
    return dest


@pytest.mark.slow
def test_an_audiogram_shows_the_speakers_photo_from_the_people_page(ctx, redis_url, radio: Path,
                                                                     tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=0x20C040:s=300x400", "-frames:v", "1",
                    str(photo)], check=True)
    with ctx.sessions() as session:
        person = Person(name="Lisa Nandy", role="Culture Secretary")
        session.add(person)
        session.flush()
        person.photo_key = f"people/{person.id}/photo.png"
        ctx.store.put_file(person.photo_key, photo)
        session.commit()
    with_photo = add_clip(ctx, radio, start=0.5, end=1.5, speaker="Lisa Nandy")
    without = add_clip(ctx, radio, start=0.5, end=1.5, speaker="Someone Else")
    for clip_id in (with_photo, without):
        queues.enqueue_render(ctx.redis, clip_id)
    run_jobs(redis_url, ("render",))

    def corner(clip_id: int) -> tuple[int, ...]:
        row = renders(ctx, clip_id)["landscape"]
        assert row.status == "done" and (row.width, row.height) == (1920, 1080), row.error
        out = ctx.store.get_file(row.storage_key, tmp_path / f"{clip_id}.mp4")
        raw = ffmpeg.run(["-ss", "0.5", "-i", str(out), "-frames:v", "1", "-vf", "format=rgb24", "-f", "rawvideo",
                          "pipe:1"], trusted=True, capture_stdout=True).stdout
        px = (1000 * 1920 + 1900) * 3  # bottom right: no text, no wave
        return tuple(raw[px:px + 3])

    r, g, b = corner(with_photo)
    assert g > r + 30 and g > b + 30, (r, g, b)  # the (darkened) green photo
    assert corner(without)[2] > corner(without)[1]  # no photo: the campaign's navy background
