"""Records for posting tests: an approved clip with real rendered files in the store, and channels
(credentials encrypted the way the admin page saves them) pointing at the fake platforms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from clipper.credentials import encrypt
from clipper.models import Channel, Clip, Recording, Render
from clipper.probe import probe
from clipper.settings import Settings
from storage import ObjectStore
from tests.media import test_video

SIZES = {"vertical": "180x320", "square": "240x240", "landscape": "320x180"}


def make_media(folder: Path, seconds: float = 2) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return {p: test_video(folder / f"{p}.mp4", seconds=seconds, size=size) for p, size in SIZES.items()}


def approved_clip(session: Session, store: ObjectStore, media: dict[str, Path], *, title: str = "Minister on hospitals",
                  status: str = "approved") -> int:
    rec = Recording(title="Evening news", status="ready", duration=30.0)
    session.add(rec)
    session.flush()
    clip = Clip(recording_id=rec.id, start=1.0, end=3.0, title=title, speaker="Jane Minister", status=status,
                post_copy="The minister on hospitals")
    session.add(clip)
    session.flush()
    for preset, path in media.items():
        key = f"clips/{clip.id}/{preset}.mp4"
        store.put_file(key, path, content_type="video/mp4")
        info = probe(path)
        session.add(Render(clip_id=clip.id, preset=preset, status="done", storage_key=key,
                           public_url=f"https://cdn.example/{key}", size=path.stat().st_size, width=info.width,
                           height=info.height, duration=info.duration))
    session.commit()
    return clip.id


def channel_for(session: Session, settings: Settings, kind: str, fake: Any, *, name: str = "") -> int:
    if kind == "mastodon":
        config, secrets = {"instance_url": fake.url, "poll_interval": 0.02}, {"access_token": fake.token}
    elif kind == "bluesky":
        config = {"handle": fake.handle, "service_url": fake.url, "video_service_url": fake.url, "poll_interval": 0.02}
        secrets = {"app_password": fake.password}
    elif kind == "telegram":
        config, secrets = {"chat_id": "@campaignnews", "api_url": fake.url}, {"bot_token": fake.token}
    else:
        config, secrets = {"url": fake.url + "/hook"}, {"secret": fake.secret}
    channel = Channel(kind=kind, name=name or f"Campaign {kind}", config=config,
                      credentials=encrypt(secrets, settings.credentials_key or settings.secret_key))
    session.add(channel)
    session.commit()
    return channel.id
