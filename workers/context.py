"""What a job needs besides its ids: settings, a database session factory, the object store, Redis.

Built once per worker process from the environment (``CLIPPER_*``); tests call ``configure`` with
their own settings before running jobs in-process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import redis
from sqlalchemy.orm import Session, sessionmaker

from clipper import ffmpeg
from clipper.db import make_engine, make_sessionmaker
from clipper.limits import child_limits
from clipper.settings import Settings
from storage import ObjectStore, StoreConfig, open_store
from workers.redis import connect


@dataclass
class Context:
    settings: Settings
    sessions: sessionmaker[Session]
    store: ObjectStore
    redis_url: str = ""
    _redis: redis.Redis | None = field(default=None, repr=False)

    @property
    def redis(self) -> redis.Redis:
        if self._redis is None:
            self._redis = connect(self.redis_url)
        return self._redis

    def workdir(self, name: str) -> Path:
        """A scratch folder for one job under the data dir (removed by the job when done)."""
        path = self.settings.data_dir / "work" / name
        path.mkdir(parents=True, exist_ok=True)
        return path


_current: Context | None = None


def store_config(settings: Settings) -> StoreConfig:
    return StoreConfig(
        url=settings.storage_url, secret_key=settings.secret_key, public_base_url=settings.public_base_url,
        s3_endpoint_url=settings.s3_endpoint_url, s3_region=settings.s3_region,
        s3_access_key_id=settings.s3_access_key_id, s3_secret_access_key=settings.s3_secret_access_key,
        s3_public_base_url=settings.s3_public_base_url,
    )


def configure(settings: Settings, redis_url: str = "") -> Context:
    global _current
    ffmpeg.configure(child_limits(settings))  # every ffmpeg/ffprobe this process starts from now on
    engine = make_engine(settings.database_url)
    _current = Context(settings=settings, sessions=make_sessionmaker(engine), store=open_store(store_config(settings)),
                       redis_url=redis_url or settings.redis_url)
    return _current


def current() -> Context:
    if _current is None:
        return configure(Settings.from_env(os.environ))
    return _current
